"""Search's published interface: what other domains (and the storefront) may call.

Reads return frozen dataclasses (``shop.search.results``). The behaviour
recorders are cheap single INSERTs, safe to call from request code or event
consumers (search itself consumes ``cart.ItemAdded`` and ``orders.OrderCreated``
with them); the counters they feed are updated in the background.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urlencode

from shop.search import behaviour, engine, projection
from shop.search.params import SearchParams
from shop.search.presenters import SEARCH_PATH
from shop.search.results import Facet, FacetValue, Hit, SearchResult, Suggestion
from shop.search.text import CATEGORY_SEPARATOR

__all__ = [
    "Facet",
    "FacetValue",
    "Hit",
    "SearchParams",
    "SearchResult",
    "Suggestion",
    "category_results_url",
    "facets",
    "rebuild_index",
    "record_add_to_cart",
    "record_click",
    "record_purchase",
    "refresh_products",
    "search",
    "suggest",
]


def search(
    params: SearchParams, *, user_id: int | None = None, session_key: str | None = None, log: bool = True
) -> SearchResult:
    """Full-text search with facets, spelling correction and learning-to-rank; logged for ranking unless ``log``
    is False."""
    return engine.search(params, user_id=user_id, session_key=session_key, log=log)


def facets(params: SearchParams) -> SearchResult:
    return engine.facets(params)


def suggest(prefix: str, limit: int = 10) -> list[Suggestion]:
    return engine.suggest(prefix, limit)


def record_click(query_id: str | None, product_id: int, position: int | None = None) -> bool:
    return behaviour.record_click(query_id, product_id, position)


def record_add_to_cart(
    product_id: int,
    *,
    query_id: str | None = None,
    user_id: int | None = None,
    session_key: str | None = None,
    quantity: int = 1,
    at: datetime | None = None,
) -> None:
    behaviour.record_add_to_cart(
        product_id, query_id=query_id, user_id=user_id, session_key=session_key, quantity=quantity, at=at
    )


def record_purchase(
    product_ids: Iterable[int],
    *,
    user_id: int | None = None,
    session_key: str | None = None,
    at: datetime | None = None,
) -> None:
    behaviour.record_purchase(product_ids, user_id=user_id, session_key=session_key, at=at)


def refresh_products(product_ids: Iterable[int]) -> int:
    """Re-project products now (what the event consumers do); for tools and tests."""
    return projection.refresh_products(product_ids)


def rebuild_index() -> projection.RebuildStats:
    return projection.rebuild()


def category_results_url(path: Sequence[str]) -> str:
    """The search page filtered to one category (``path``: its names from the root), where a
    shopper browsing the category narrows it by brand, price, rating and the other facets."""
    return f"{SEARCH_PATH}?{urlencode({'category': CATEGORY_SEPARATOR.join(path)})}"
