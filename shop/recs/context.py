"""Live visitor context in Redis: what this visitor viewed, put in the cart and bought lately.

Written on every interaction (a few pipelined commands), read by every lookup
in the same round trip as the model pointer, so request-time blending costs
no extra latency to speak of. Keys per visitor (customer ``u:<id>`` or guest
session ``s:<id>``):

- ``recs:ctx:<visitor>:v``: list of recently viewed product ids, newest first;
- ``recs:ctx:<visitor>:c``: sorted set of products added to the cart (score: time);
- ``recs:ctx:<visitor>:b``: sorted set of products bought (score: time), trimmed
  to ``RECS_JUST_BOUGHT_DAYS``.

A signed-in visitor's lookups merge their customer and session contexts, so
browsing as a guest still counts right after signing in.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from redis.client import Pipeline

VIEWED_KEPT = 20
CART_KEPT = 100
BOUGHT_KEPT = 200
VIEWED_TTL = 30 * 86400
CART_TTL = 14 * 86400

VIEW, ADD_TO_CART, PURCHASE = "view", "add_to_cart", "purchase"


@dataclasses.dataclass(frozen=True)
class Visitor:
    """Who is asking: a customer, a guest session, or both (signed in with a visitor cookie).

    ``cart_id`` is a guest cart's public id: the cart's events are recorded under
    the session ``cart:<id>``, so a guest's lookups read that context too.
    """

    user_id: int | None = None
    session_id: str = ""
    cart_id: str = ""

    @property
    def context_ids(self) -> list[str]:
        ids = [f"u:{self.user_id}"] if self.user_id else []
        if self.session_id:
            ids.append(f"s:{self.session_id}")
        if self.cart_id:
            ids.append(f"s:{cart_session_id(self.cart_id)}")
        return ids

    @property
    def primary_id(self) -> str:
        """Where new signals are written (and the row of the training matrix)."""
        return self.context_ids[0]


def cart_session_id(cart_id: str) -> str:
    return f"cart:{cart_id}"


@dataclasses.dataclass(frozen=True)
class LiveContext:
    viewed: list[int]  # newest first, no repeats
    in_cart: frozenset[int]
    bought: frozenset[int]


EMPTY = LiveContext([], frozenset(), frozenset())


def _key(context_id: str, part: str) -> str:
    return f"recs:ctx:{context_id}:{part}"


def queue_note(pipe: Pipeline, visitor: Visitor, kind: str, product_id: int, at: float | None = None) -> None:
    """Queue the commands recording one signal (idempotent: replaying it changes nothing)."""
    at = time.time() if at is None else at
    context_id = visitor.primary_id
    if kind == VIEW:
        key = _key(context_id, "v")
        pipe.lrem(key, 0, product_id)
        pipe.lpush(key, product_id)
        pipe.ltrim(key, 0, VIEWED_KEPT - 1)
        pipe.expire(key, VIEWED_TTL)
    elif kind == ADD_TO_CART:
        key = _key(context_id, "c")
        pipe.zadd(key, {str(product_id): at})
        pipe.zremrangebyrank(key, 0, -CART_KEPT - 1)
        pipe.expire(key, CART_TTL)
    elif kind == PURCHASE:
        window = settings.RECS_JUST_BOUGHT_DAYS * 86400
        key = _key(context_id, "b")
        pipe.zadd(key, {str(product_id): at})
        pipe.zremrangebyscore(key, "-inf", time.time() - window)
        pipe.zremrangebyrank(key, 0, -BOUGHT_KEPT - 1)
        pipe.expire(key, window)
        for cid in visitor.context_ids:  # what was bought has left the cart
            pipe.zrem(_key(cid, "c"), product_id)
    else:
        raise ValueError(f"unknown interaction kind {kind!r}")


def queue_forget_cart_item(pipe: Pipeline, visitor: Visitor, product_id: int) -> None:
    """The product left the cart (removed, not bought)."""
    for context_id in visitor.context_ids:
        pipe.zrem(_key(context_id, "c"), product_id)


def queue_read(pipe: Pipeline, visitor: Visitor) -> int:
    """Queue the reads of a visitor's context; returns how many results they produce."""
    since = time.time() - settings.RECS_JUST_BOUGHT_DAYS * 86400
    for context_id in visitor.context_ids:
        pipe.lrange(_key(context_id, "v"), 0, VIEWED_KEPT - 1)
        pipe.zrange(_key(context_id, "c"), 0, -1)
        pipe.zrangebyscore(_key(context_id, "b"), since, "+inf")
    return 3 * len(visitor.context_ids)


def parse_read(results: Sequence[Any]) -> LiveContext:
    viewed: list[int] = []
    in_cart: set[int] = set()
    bought: set[int] = set()
    for index in range(0, len(results), 3):
        for raw in results[index]:
            product_id = int(raw)
            if product_id not in viewed:
                viewed.append(product_id)
        in_cart.update(int(raw) for raw in results[index + 1])
        bought.update(int(raw) for raw in results[index + 2])
    return LiveContext(viewed, frozenset(in_cart), frozenset(bought))
