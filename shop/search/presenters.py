"""Search results as JSON-ready dicts and links, shared by the API and the storefront,
so both describe a product, a facet value or a suggestion the same way."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from shop.search.params import MAX_RESULT_WINDOW
from shop.search.results import Facet, FacetValue, Hit, SearchResult, Suggestion
from shop.search.text import CATEGORY_SEPARATOR

SEARCH_PATH = "/search/"


def product_url(product_id: int, slug: str) -> str:
    if slug:
        return reverse("catalog:product-slug", args=[product_id, slug])
    return reverse("catalog:product", args=[product_id])


def image_url(product_id: int) -> str:
    return reverse("catalog:image", args=[product_id, 0])


def hit_dict(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.product_id,
        "name": hit.name,
        "url": product_url(hit.product_id, hit.slug),
        "image": image_url(hit.product_id),
        "brand": hit.brand,
        "category_path": hit.category_path,
        "price": str(hit.price),
        "list_price": str(hit.list_price) if hit.list_price is not None else None,
        "currency": hit.currency,
        "rating_avg": str(hit.rating_avg),
        "rating_count": hit.rating_count,
        "fast_delivery": hit.fast_delivery,
        "availability": hit.availability,
        "position": hit.position,
    }


def facet_dict(facet: Facet) -> dict[str, Any]:
    return {
        "name": facet.name,
        "label": facet.label,
        "kind": facet.kind,
        "values": [value_dict(value) for value in facet.values],
    }


def value_dict(value: FacetValue) -> dict[str, Any]:
    data: dict[str, Any] = {
        "value": value.value,
        "label": value.label,
        "count": value.count,
        "selected": value.selected,
    }
    if value.min is not None or value.max is not None:
        data["min"] = str(value.min) if value.min is not None else None
        data["max"] = str(value.max) if value.max is not None else None
    return data


def result_dict(result: SearchResult, query: QueryDict) -> dict[str, Any]:
    return {
        "query": result.query,
        "query_id": result.query_id,
        "effective_query": result.effective_query,
        "did_you_mean": result.did_you_mean,
        "auto_corrected": result.auto_corrected,
        "fuzzy": result.fuzzy,
        "count": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "num_pages": result.num_pages,
        "next": page_link(query, result.page + 1) if result.page < last_page(result) else None,
        "previous": page_link(query, result.page - 1) if result.page > 1 else None,
        "ranker_version": result.ranker_version,
        "results": [hit_dict(hit) for hit in result.hits],
        "facets": [facet_dict(facet) for facet in result.facets],
    }


def last_page(result: SearchResult) -> int:
    return min(result.num_pages, max(1, MAX_RESULT_WINDOW // result.page_size))


def page_link(query: QueryDict, page: int) -> str:
    return "?" + with_changes(query, {"page": [str(page)]})


def with_changes(query: QueryDict, changes: dict[str, list[str]]) -> str:
    """``query`` re-encoded with some parameters replaced (an empty list removes one)."""
    data = {key: query.getlist(key) for key in query if key not in changes}
    data.update({key: values for key, values in changes.items() if values})
    return urlencode([(key, value) for key, values in data.items() for value in values])


def toggle_link(query: QueryDict, facet: Facet, value: FacetValue) -> str:
    """The search URL with ``value`` of ``facet`` switched on or off (and back to page 1)."""
    changes: dict[str, list[str]] = {"page": []}
    if facet.kind == "range":
        selected = value.selected
        changes["price_min"] = [] if selected or value.min is None else [str(value.min)]
        changes["price_max"] = [] if selected or value.max is None else [str(value.max)]
    elif facet.kind in ("tree", "threshold", "toggle"):
        changes[facet.name] = [] if value.selected else [value.value]
        if facet.kind == "tree" and value.selected:
            parent = value.value.rsplit(CATEGORY_SEPARATOR, 1)[0] if CATEGORY_SEPARATOR in value.value else ""
            changes[facet.name] = [parent] if parent else []
    else:
        current = query.getlist(facet.name)
        changes[facet.name] = [v for v in current if v != value.value] if value.selected else [*current, value.value]
    return search_link(query, changes)


def search_link(query: QueryDict, changes: dict[str, list[str]]) -> str:
    return f"{SEARCH_PATH}?{with_changes(query, changes)}"


def suggestion_url(suggestion: Suggestion) -> str:
    if suggestion.kind == "product":
        return product_url(int(suggestion.params["product_id"]), suggestion.params.get("slug", ""))
    if suggestion.kind == "brand":
        return f"{SEARCH_PATH}?{urlencode({'brand': suggestion.params['brand']})}"
    if suggestion.kind == "category":
        return f"{SEARCH_PATH}?{urlencode({'category': suggestion.params['category']})}"
    return f"{SEARCH_PATH}?{urlencode({'q': suggestion.text})}"


def suggestion_dict(suggestion: Suggestion) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": suggestion.kind, "text": suggestion.text, "url": suggestion_url(suggestion)}
    if suggestion.kind == "category":
        data["path"] = suggestion.params["category"]
    return data
