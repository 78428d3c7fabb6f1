"""Lookups: precomputed lists from Redis, adjusted by the visitor's live context.

A lookup is three pipelined Redis round trips and no database query: (1) the
model pointer and the visitor's context, (2) the lists it needs, (3) the
product cards of the candidates (for exclusions and display). Everything
request-specific (recent views, the cart, just-bought items, out-of-stock and
inactive products) is applied here, cheaply, to lists computed offline.

A lookup never raises: unknown ids, a missing or stale model and an
unreachable Redis all give a fallback (popular products, or an empty list)
and a log line saying why.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis
from django.conf import settings

from shop.recs import context
from shop.recs.cards import CARDS_KEY, Card
from shop.recs.clients import request_redis
from shop.recs.context import LiveContext, Visitor
from shop.recs.store import CURRENT_KEY, Pointer, decode_ids, list_key, parse_pointer

log = logging.getLogger(__name__)

MAX_LIMIT = 50
RRF_K = 10  # reciprocal-rank fusion: score = weight / (RRF_K + rank)
CONTEXT_VIEWS_USED = 5  # the most recent views that steer "recommended for you"
RECENCY_DECAY = 0.7  # each older view counts this much less than the one after it
CART_ITEMS_USED = 20
CANDIDATE_FACTOR = 3  # cards fetched per slot (candidates first, then popular), so exclusions rarely leave a gap
REFILL_DEBOUNCE_KEY = "recs:refill-requested"
WARN_EVERY_SECONDS = 60.0

PERSONAL, RELATED, CART, POPULAR, NONE, UNAVAILABLE = "personal", "related", "cart", "popular", "none", "unavailable"


@dataclasses.dataclass(frozen=True)
class Recommendations:
    items: list[Card]
    source: str  # personal | related | cart | popular | none (no model yet) | unavailable (Redis down)
    version: int | None = None


def recommended_for(visitor: Visitor, *, limit: int = 10, exclude: Iterable[int] = ()) -> Recommendations:
    """Recommended for you: the customer's precomputed list blended with neighbours of
    what this visitor viewed just now; guests get the blend on top of popular products."""
    return _guarded("recommended_for", lambda: _recommended_for(visitor, _clamp(limit), frozenset(exclude)))


def also_bought(product_id: int, visitor: Visitor, *, limit: int = 10) -> Recommendations:
    """Customers who bought this also bought: the product's list, else its category's popular products."""
    return _guarded("also_bought", lambda: _also_bought(int(product_id), visitor, _clamp(limit)))


def for_cart(product_ids: Sequence[int], visitor: Visitor, *, limit: int = 10) -> Recommendations:
    """Related to items in your cart: the products' lists fused (the visitor's known cart if none given)."""
    return _guarded("for_cart", lambda: _for_cart([int(i) for i in product_ids], visitor, _clamp(limit)))


# --- the three lookups ----------------------------------------------------------------------------


def _recommended_for(visitor: Visitor, limit: int, exclude: frozenset[int]) -> Recommendations:
    client = request_redis()
    pointer, live, _ = _start(client, visitor)
    if pointer is None:
        return Recommendations([], NONE)
    recent = live.viewed[:CONTEXT_VIEWS_USED]
    pipe = client.pipeline(transaction=False)
    pipe.hget(list_key(pointer.version, "pop"), 0)
    if visitor.user_id:
        pipe.hget(list_key(pointer.version, "user"), visitor.user_id)
    if recent:
        pipe.hmget(list_key(pointer.version, "item"), recent)
    results = pipe.execute()
    popular = decode_ids(results[0])
    personal = decode_ids(results[1]) if visitor.user_id else []
    neighbours = [decode_ids(raw) for raw in results[-1]] if recent else []
    if visitor.user_id and not personal:
        log.info(
            "recs: no list for customer %s in model v%s; serving context and popular", visitor.user_id, pointer.version
        )
    weight = settings.RECS_CONTEXT_WEIGHT
    ranked = fuse([(personal, 1.0)] + [(ids, weight * RECENCY_DECAY**age) for age, ids in enumerate(neighbours)])
    source = PERSONAL if personal else (RELATED if ranked else POPULAR)
    return _finish(client, pointer, ranked, popular, live, live.in_cart | exclude, limit, source)


def _also_bought(product_id: int, visitor: Visitor, limit: int) -> Recommendations:
    client = request_redis()
    pointer, live, product = _start(client, visitor, product_id)
    if pointer is None:
        return Recommendations([], NONE)
    pipe = client.pipeline(transaction=False)
    pipe.hget(list_key(pointer.version, "pop"), 0)
    pipe.hget(list_key(pointer.version, "item"), product_id)
    if product is not None:
        pipe.hget(list_key(pointer.version, "cat"), product.category_id)
    results = pipe.execute()
    popular, related = decode_ids(results[0]), decode_ids(results[1])
    in_category = decode_ids(results[2]) if product is not None else []
    if product is None:
        log.info("recs: unknown product %s; serving popular products", product_id)
    elif not related:
        log.info(
            "recs: no bought-together list for product %s in v%s; serving its category", product_id, pointer.version
        )
    ranked = list(dict.fromkeys(related + in_category))
    source = RELATED if related else POPULAR
    return _finish(client, pointer, ranked, popular, live, live.in_cart | {product_id}, limit, source)


def _for_cart(product_ids: list[int], visitor: Visitor, limit: int) -> Recommendations:
    client = request_redis()
    pointer, live, _ = _start(client, visitor)
    if pointer is None:
        return Recommendations([], NONE)
    cart = list(dict.fromkeys(product_ids or sorted(live.in_cart)))[:CART_ITEMS_USED]
    pipe = client.pipeline(transaction=False)
    pipe.hget(list_key(pointer.version, "pop"), 0)
    if cart:
        pipe.hmget(list_key(pointer.version, "item"), cart)
    results = pipe.execute()
    popular = decode_ids(results[0])
    lists = [decode_ids(raw) for raw in results[1]] if cart else []
    ranked = fuse([(ids, 1.0) for ids in lists])
    source = CART if ranked else POPULAR
    return _finish(client, pointer, ranked, popular, live, live.in_cart | set(cart), limit, source)


# --- shared steps ---------------------------------------------------------------------------------


def fuse(weighted_lists: Sequence[tuple[Sequence[int], float]]) -> list[int]:
    """Reciprocal-rank fusion: an item high in several lists beats one high in a single list."""
    scores: dict[int, float] = {}
    for ids, weight in weighted_lists:
        for rank, pid in enumerate(ids):
            scores[pid] = scores.get(pid, 0.0) + weight / (RRF_K + rank)
    return sorted(scores, key=scores.__getitem__, reverse=True)


def _start(
    client: redis.Redis, visitor: Visitor, product_id: int | None = None
) -> tuple[Pointer | None, LiveContext, Card | None]:
    """Round trip 1: the model pointer, the visitor's context and (optionally) one product's card."""
    pipe = client.pipeline(transaction=False)
    pipe.get(CURRENT_KEY)
    context.queue_read(pipe, visitor)
    if product_id is not None:
        pipe.hget(CARDS_KEY, product_id)
    results = pipe.execute()
    product = None
    if product_id is not None:
        raw = results.pop()
        product = Card.from_json(product_id, raw) if raw is not None else None
    pointer = _usable(client, parse_pointer(results[0]))
    return pointer, context.parse_read(results[1:]), product


def _finish(
    client: redis.Redis,
    pointer: Pointer,
    ranked: list[int],
    popular: list[int],
    live: LiveContext,
    banned: frozenset[int] | set[int],
    limit: int,
    source: str,
) -> Recommendations:
    """Round trip 3: cards for the best candidates (then popular ones), minus what must not be shown.

    At most ``limit * CANDIDATE_FACTOR`` cards are fetched and only those shown are decoded.
    """
    want = limit * CANDIDATE_FACTOR
    candidates = [pid for pid in ranked if pid not in banned][:want]
    chosen_set = set(candidates)
    fill = [pid for pid in popular if pid not in banned and pid not in chosen_set][: want - len(candidates)]
    ids = candidates + fill
    items: list[Card] = []
    for pid, raw in zip(ids, client.hmget(CARDS_KEY, ids) if ids else [], strict=True):
        if raw is None:
            continue
        card = Card.from_json(pid, raw)
        if not card.available or (pid in live.bought and not card.consumable):
            continue
        items.append(card)
        if len(items) == limit:
            break
    if not any(card.product_id in chosen_set for card in items):
        source = POPULAR
    return Recommendations(items, source if items else POPULAR, pointer.version)


def _usable(client: redis.Redis, pointer: Pointer | None) -> Pointer | None:
    """The pointer if there is one (stale is served, with a warning); else ask for a refill."""
    if pointer is None:
        _warn("missing", "recs: no model in Redis (never trained, or Redis lost it); serving nothing, refill requested")
        _request_refill(client)
        return None
    age_hours = (time.time() - pointer.trained_at) / 3600
    if age_hours > settings.RECS_STALE_AFTER_HOURS:
        _warn("stale", "recs: model v%s is stale (trained %.0f h ago); serving it anyway", pointer.version, age_hours)
    return pointer


def _request_refill(client: redis.Redis) -> None:
    try:
        if client.set(REFILL_DEBOUNCE_KEY, 1, nx=True, ex=30):
            from shop.recs.tasks import ensure_loaded

            ensure_loaded.delay()
    except Exception:
        log.warning("recs: could not request a refill", exc_info=True)


def _guarded(name: str, lookup: Callable[[], Recommendations]) -> Recommendations:
    try:
        return lookup()
    except redis.RedisError as exc:
        _warn("redis", "recs: Redis unavailable in %s (%s); serving an empty list", name, exc)
        return Recommendations([], UNAVAILABLE)
    except Exception:
        log.exception("recs: %s failed; serving an empty list", name)
        return Recommendations([], UNAVAILABLE)


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


_last_warned: dict[str, float] = {}


def _warn(reason: str, message: str, *args: Any) -> None:
    """A warning at most once a minute per reason and process, so an outage does not flood the log."""
    now = time.monotonic()
    if now - _last_warned.get(reason, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
        _last_warned[reason] = now
        log.warning(message, *args)
