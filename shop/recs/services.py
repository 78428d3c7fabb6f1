"""The recommendations' published interface: what other domains may call.

Recording signals:

- ``record_interaction(kind, product_id, user_id=None, session_id=None, ...)``
  and ``record_interactions([...])`` append to the interaction log in the
  caller's transaction (event consumers for add-to-cart and purchases call
  these); ``kind`` is ``"view"``, ``"add_to_cart"`` or ``"purchase"``.
- ``record_view`` is the cheap, buffered path for product-page views.

A visitor is a customer (``user_id``) and/or an opaque session id: for
storefront guests, the ``shop_vid`` cookie set by ``shop.recs.middleware``
(``visitor_session_id(request)`` returns it).

Reading: ``recommended_for_you``, ``also_bought`` and ``related_to_cart``
return ``Recommendations`` of ``RecommendedProduct`` cards. They read only
precomputed data, never raise, and fall back to popular products (or an empty
list) when ids are unknown, the model is missing or Redis is down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import HttpRequest

from shop.recs import interactions, serving
from shop.recs.cards import Card as RecommendedProduct
from shop.recs.context import Visitor
from shop.recs.interactions import InvalidInteraction
from shop.recs.middleware import visitor_for
from shop.recs.serving import Recommendations

__all__ = [
    "InteractionIn",
    "InvalidInteraction",
    "Recommendations",
    "RecommendedProduct",
    "also_bought",
    "recommended_for_you",
    "record_interaction",
    "record_interactions",
    "record_view",
    "related_to_cart",
    "visitor_session_id",
]


@dataclasses.dataclass(frozen=True)
class InteractionIn:
    """One signal for ``record_interactions``."""

    kind: str
    product_id: int
    user_id: int | None = None
    session_id: str | None = None
    quantity: int = 1
    occurred_at: datetime | None = None


def record_interaction(
    kind: str,
    product_id: int,
    user_id: int | None = None,
    session_id: str | None = None,
    *,
    quantity: int = 1,
    occurred_at: datetime | None = None,
) -> None:
    """Append one signal to the log. Raises ``InvalidInteraction`` (a ValueError) on bad input."""
    record_interactions([InteractionIn(kind, product_id, user_id, session_id, quantity, occurred_at)])


def record_interactions(signals: Iterable[InteractionIn]) -> int:
    """Append many signals in one INSERT (an order's lines); all are validated before any is written."""
    rows = [
        interactions.build(
            s.kind, s.product_id, s.user_id, s.session_id, quantity=s.quantity, occurred_at=s.occurred_at
        )
        for s in signals
    ]
    return interactions.record(rows)


def record_view(product_id: int, *, user_id: int | None = None, session_id: str | None = None) -> None:
    """A product view, buffered in Redis and flushed to the log in bulk."""
    interactions.buffer_view(product_id, Visitor(user_id=user_id, session_id=session_id or ""))


def visitor_session_id(request: HttpRequest) -> str:
    """The visitor id of this browser (assigned and set as a cookie on first use)."""
    return visitor_for(request, assign=True).session_id


def recommended_for_you(
    *, user_id: int | None = None, session_id: str | None = None, limit: int = 10, exclude: Iterable[int] = ()
) -> Recommendations:
    return serving.recommended_for(Visitor(user_id, session_id or ""), limit=limit, exclude=exclude)


def also_bought(
    product_id: int, *, user_id: int | None = None, session_id: str | None = None, limit: int = 10
) -> Recommendations:
    return serving.also_bought(product_id, Visitor(user_id, session_id or ""), limit=limit)


def related_to_cart(
    product_ids: Sequence[int], *, user_id: int | None = None, session_id: str | None = None, limit: int = 10
) -> Recommendations:
    return serving.for_cart(product_ids, Visitor(user_id, session_id or ""), limit=limit)
