"""Storefront search pages: the results page and the click-through redirect.

The page is lenient where the API is strict: a bad parameter is dropped and
the shopper is told, never shown an error page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shop.search import presenters, services
from shop.search.behaviour import visitor_key
from shop.search.models import SearchDocument, Suggestion
from shop.search.params import SORTS, UNKNOWN_PARAMETER, parse
from shop.search.results import SearchResult
from shop.search.results import Suggestion as SuggestionDTO
from shop.search.text import CATEGORY_SEPARATOR

POPULAR_ON_EMPTY = 8


@require_safe
def results(request: HttpRequest) -> HttpResponse:
    params, errors = parse(request.GET)
    for name, problems in errors.fields.items():
        # Unknown parameters (tracking tags and the like) are none of the shopper's business.
        shown = [problem for problem in problems if problem != UNKNOWN_PARAMETER]
        if shown:
            messages.warning(request, _shopper_message(name, shown[0]))
    context: dict[str, Any] = {"query": params.q, "sort": params.sort, "sorts": SORTS.items(), "params": params}
    if not params.q.strip() and not params.has_filters:
        context["popular"] = _popular()
        return render(request, "search/results.html", context)
    user_id = request.user.pk if request.user.is_authenticated else None
    result = services.search(params, user_id=user_id, session_key=visitor_key(request))
    context.update(_result_context(request, result))
    if result.total == 0:
        context["popular"] = _popular()
    return render(request, "search/results.html", context)


def _shopper_message(name: str, problem: str) -> str:
    if name == "q":
        return "Your search was too long, so we shortened it." if "characters" in problem else problem
    return f"We ignored the filter “{name}”: {problem}"


def _result_context(request: HttpRequest, result: SearchResult) -> dict[str, Any]:
    query = request.GET
    facets = [
        {
            "name": facet.name,
            "label": facet.label,
            "values": [
                {
                    "label": value.label,
                    "count": value.count,
                    "selected": value.selected,
                    "url": presenters.toggle_link(query, facet, value),
                }
                for value in facet.values
            ],
        }
        for facet in result.facets
        if facet.values
    ]
    category = query.get("category", "")
    parts = category.split(CATEGORY_SEPARATOR) if category else []
    crumbs = [
        {
            "label": part,
            "url": presenters.search_link(query, {"category": [CATEGORY_SEPARATOR.join(parts[: i + 1])], "page": []}),
        }
        for i, part in enumerate(parts[:-1])
    ]
    last = presenters.last_page(result)
    return {
        "result": result,
        "hits": [
            {
                "hit": hit,
                "url": presenters.product_url(hit.product_id, hit.slug),
                "go": _go_url(result, hit.product_id, hit.position),
            }
            for hit in result.hits
        ],
        "facets": facets,
        "category": category,
        "category_label": parts[-1] if parts else "",
        "category_crumbs": crumbs,
        "clear_category_url": presenters.search_link(query, {"category": [], "page": []}),
        "did_you_mean_url": presenters.search_link(query, {"q": [result.did_you_mean or ""], "page": []}),
        "original_url": presenters.search_link(query, {"spell": ["0"], "page": []}),
        "hidden_params": [(key, value) for key in query if key not in ("sort", "page") for value in query.getlist(key)],
        "previous_url": presenters.page_link(query, result.page - 1) if result.page > 1 else None,
        "next_url": presenters.page_link(query, result.page + 1) if result.page < last else None,
        "last_page": last,
        "first_shown": (result.page - 1) * result.page_size + 1,
        "last_shown": (result.page - 1) * result.page_size + len(result.hits),
    }


def _go_url(result: SearchResult, product_id: int, position: int) -> str:
    if not result.query_id:
        return ""
    return f"/search/go/{result.query_id}/{product_id}/?pos={position}"


def _popular() -> list[dict[str, str]]:
    """Popular searches (or, before there are any, the biggest categories) for empty and empty-result pages."""
    for kind in (Suggestion.Kind.QUERY, Suggestion.Kind.CATEGORY):
        rows = list(Suggestion.objects.filter(kind=kind).order_by("-weight")[:POPULAR_ON_EMPTY])
        if rows:
            return [
                {"text": row.text, "url": presenters.suggestion_url(SuggestionDTO(row.kind, row.text, row.params))}
                for row in rows
            ]
    return []


@require_safe
def go(request: HttpRequest, query_id: str, product_id: int) -> HttpResponse:
    """Record the click on a result, then show the product (the link works without JavaScript)."""
    slug = SearchDocument.objects.filter(product_id=product_id).values_list("slug", flat=True).first()
    if slug is None:
        raise Http404("No such product")
    try:
        position = int(request.GET.get("pos", ""))
    except ValueError:
        position = None
    if position is not None and not 1 <= position <= 10_000:
        position = None
    services.record_click(query_id, product_id, position)
    return HttpResponseRedirect(presenters.product_url(product_id, slug))
