"""Cache-first JSON reads: Redis in front of the database, ETag/304 in front of Redis.

The rendered body and its ETag are cached together, so a warm request is one
Redis round trip and no serialization; a matching ``If-None-Match`` sends no
body at all. Browsers keep a response ``max-age`` seconds, a CDN ``s-maxage``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from shop.core.redis import get_redis

log = logging.getLogger(__name__)

STATS_KEY = "stats:http_cache"


def render_json(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def cached_json_response(
    request: HttpRequest,
    key: str,
    build: Callable[[], Any],
    *,
    namespace: str,
    timeout: int = 3600,
    max_age: int | None = None,
    s_maxage: int | None = None,
) -> HttpResponse:
    """Serve ``build()`` rendered as JSON, from the cache when it is there.

    ``build`` may raise (e.g. ``NotFound``); nothing is cached then.
    """
    entry = _cache_get(key)
    _count(namespace, hit=entry is not None)
    if entry is None:
        body = render_json(build())
        entry = {"etag": etag_for(body), "body": body}
        _cache_set(key, entry, timeout)
    max_age = settings.CATALOG_MAX_AGE if max_age is None else max_age
    s_maxage = settings.CATALOG_S_MAXAGE if s_maxage is None else s_maxage
    if _etag_matches(request, entry["etag"]):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(entry["body"], content_type="application/json")
    response["ETag"] = entry["etag"]
    response["Cache-Control"] = f"public, max-age={max_age}, s-maxage={s_maxage}, stale-while-revalidate=30"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates


def _cache_get(key: str) -> dict[str, Any] | None:
    """A Redis outage degrades to database reads, never to errors."""
    try:
        return cache.get(key)
    except Exception:  # redis.ConnectionError and friends
        log.warning("cache unavailable reading %s; serving from the database", key, exc_info=True)
        return None


def _cache_set(key: str, entry: dict[str, Any], timeout: int) -> None:
    try:
        cache.set(key, entry, timeout)
    except Exception:
        log.warning("cache unavailable writing %s", key, exc_info=True)


def _count(namespace: str, *, hit: bool) -> None:
    try:
        get_redis().hincrby(STATS_KEY, f"{namespace}:{'hit' if hit else 'miss'}", 1)
    except Exception:
        log.debug("cache stats unavailable", exc_info=True)


def cache_stats() -> dict[str, dict[str, int]]:
    """Hits and misses per namespace since the last reset, for benchmarks and ops."""
    raw = get_redis().hgetall(STATS_KEY)
    stats: dict[str, dict[str, int]] = {}
    for field, value in raw.items():
        namespace, _, kind = field.decode().rpartition(":")
        stats.setdefault(namespace, {"hit": 0, "miss": 0})[kind] = int(value)
    return stats


def reset_cache_stats() -> None:
    get_redis().delete(STATS_KEY)


def delete_keys(*keys: str) -> None:
    try:
        cache.delete_many(keys)
    except Exception:
        log.warning("cache unavailable deleting %s", keys, exc_info=True)


def bump_version(name: str) -> int:
    """Increment a namespace generation: keys that embed it become unreachable at once."""
    try:
        return get_redis().incr(f"cachever:{name}")
    except Exception:
        log.warning("cache unavailable bumping %s", name, exc_info=True)
        return 0


def current_version(name: str) -> int:
    try:
        value = get_redis().get(f"cachever:{name}")
    except Exception:
        return 0
    return int(value) if value else 0
