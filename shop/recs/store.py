"""The serving copy of the recommendations in Redis: versioned lists behind an atomic switch.

Layout (all raw Redis keys, not the Django cache):

- ``recs:v<N>:<kind>``: one hash per version and list kind (user, item, cat,
  pop), field = customer/product/category id (0 for pop), value = product ids
  as ``"12,7,431"``;
- ``recs:current``: ``"<N>:<trained_at epoch>"``, the version readers use.
  A new version's hashes are written completely first, then this one key is
  set, so a reader sees either the old lists or the new ones, never a mix;
- ``recs:versions``: the version numbers that have keys, for clean-up. The
  version just replaced lives on for a grace period (readers that already read
  the pointer finish their lookups), older ones are unlinked.

PostgreSQL keeps the lists too (``RecList``), so this is a cache that can be
refilled without retraining (``shop.recs.publishing``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import redis

from shop.core.redis import get_redis

CURRENT_KEY = "recs:current"
VERSIONS_KEY = "recs:versions"
KINDS = ("user", "item", "cat", "pop")
WRITE_CHUNK = 1000
OLD_VERSION_GRACE_SECONDS = 600


@dataclasses.dataclass(frozen=True)
class Pointer:
    version: int
    trained_at: float  # epoch seconds


def list_key(version: int, kind: str) -> str:
    return f"recs:v{version}:{kind}"


def encode_ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def decode_ids(raw: bytes | str | None) -> list[int]:
    if not raw:
        return []
    if isinstance(raw, bytes):
        raw = raw.decode()
    return [int(part) for part in raw.split(",")]


def parse_pointer(raw: bytes | str | None) -> Pointer | None:
    if not raw:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode()
    version, _, trained_at = raw.partition(":")
    try:
        return Pointer(int(version), float(trained_at or 0))
    except ValueError:
        return None


def read_pointer(client: redis.Redis | None = None) -> Pointer | None:
    return parse_pointer((client or get_redis()).get(CURRENT_KEY))


def write_lists(version: int, rows: Iterable[tuple[str, int, Sequence[int]]], client: redis.Redis | None = None) -> int:
    """Write ``(kind, key, product_ids)`` rows into version ``version``'s hashes; returns the count.

    Nothing reads a version before :func:`switch` points at it, so this can
    take as long as it needs, in bounded pipelines.
    """
    client = client or get_redis()
    client.sadd(VERSIONS_KEY, version)
    written = 0
    pending: dict[str, dict[int, str]] = {}
    for kind, key, items in rows:
        if kind not in KINDS:
            raise ValueError(f"unknown list kind {kind!r}")
        pending.setdefault(kind, {})[int(key)] = encode_ids(items)
        written += 1
        if written % WRITE_CHUNK == 0:
            _flush(client, version, pending)
    _flush(client, version, pending)
    return written


def _flush(client: redis.Redis, version: int, pending: dict[str, dict[int, str]]) -> None:
    if not pending:
        return
    pipe = client.pipeline(transaction=False)
    for kind, mapping in pending.items():
        if mapping:
            pipe.hset(list_key(version, kind), mapping=mapping)
    pipe.execute()
    pending.clear()


def switch(version: int, trained_at: float, client: redis.Redis | None = None) -> Pointer | None:
    """Point readers at ``version`` (one SET), then retire the versions before it.

    Returns the pointer it replaced.
    """
    client = client or get_redis()
    previous = parse_pointer(client.set(CURRENT_KEY, f"{version}:{trained_at:.0f}", get=True))
    for member in client.smembers(VERSIONS_KEY):
        old = int(member)
        if old == version:
            continue
        keys = [list_key(old, kind) for kind in KINDS]
        if previous is not None and old == previous.version:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.expire(key, OLD_VERSION_GRACE_SECONDS)
            pipe.execute()
        else:
            client.unlink(*keys)
            client.srem(VERSIONS_KEY, old)
    return previous


def has_lists(version: int, client: redis.Redis | None = None) -> bool:
    """True if the version's overall popularity list is there (written last by refills)."""
    return bool((client or get_redis()).hexists(list_key(version, "pop"), 0))
