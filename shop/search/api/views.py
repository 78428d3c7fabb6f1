"""Search REST API v1: search, facets, suggest, and click reporting.

Parameters are validated by ``shop.search.params`` (the storefront uses the same
parser, leniently); every bad value is a 400 naming the parameter.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.api import BadRequest, int_param
from shop.core.http_cache import cached_json_response
from shop.core.throttling import ScopedThrottle
from shop.search import dictionaries, presenters, services, text
from shop.search.api.serializers import (
    FILTER_PARAMETERS,
    SEARCH_PARAMETERS,
    FacetsResultSerializer,
    SearchResultSerializer,
    SuggestResultSerializer,
)
from shop.search.behaviour import visitor_key
from shop.search.params import SearchParams, parse

SUGGEST_MAX_CHARS = 100
SUGGEST_MAX_AGE = 60
SUGGEST_S_MAXAGE = 300


def _params(request: Request, *, require_query: bool) -> SearchParams:
    params, errors = parse(request.query_params, require_query=require_query)
    if errors:
        raise BadRequest(errors.message(), errors.code, errors.fields)
    return params


def _user_id(request: Request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class SearchView(APIView):
    """Full-text product search with facets, spelling correction and learning-to-rank."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "search"

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SearchResultSerializer)
    def get(self, request: Request) -> Response:
        params = _params(request, require_query=True)
        result = services.search(params, user_id=_user_id(request), session_key=visitor_key(request._request))
        return Response(presenters.result_dict(result, request.query_params))


class FacetsView(APIView):
    """Counts and facets for a query and filters, without results (``facets=brand,price`` to choose)."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "search"

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            *FILTER_PARAMETERS,
            OpenApiParameter("facets", str, description="Comma-separated facet names (default: all)."),
        ],
        responses=FacetsResultSerializer,
    )
    def get(self, request: Request) -> Response:
        params = _params(request, require_query=False)
        result = services.facets(params)
        return Response(
            {"query": result.query, "count": result.total, "facets": [presenters.facet_dict(f) for f in result.facets]}
        )


class SuggestView(APIView):
    """Autocomplete for a prefix: popular searches, categories, brands, products. Cached hard."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "suggest"

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description=f"The prefix typed (at most {SUGGEST_MAX_CHARS} characters)."),
            OpenApiParameter("limit", int, description="1-20 (default 10)."),
        ],
        responses=SuggestResultSerializer,
    )
    def get(self, request: Request) -> HttpResponse:
        raw = request.query_params.get("q", "")
        if len(raw) > SUGGEST_MAX_CHARS:
            message = f"Must be at most {SUGGEST_MAX_CHARS} characters."
            raise BadRequest(f"q: {message}", "query_too_long", {"q": [message]})
        limit = int_param(request, "limit", 10, maximum=20)
        prefix = " ".join(text.terms(raw, limit=6))
        digest = hashlib.blake2b(prefix.encode(), digest_size=12).hexdigest()
        key = f"search:suggest-api:v{dictionaries.suggestion_version()}:{limit}:{digest}"

        def build() -> dict[str, Any]:
            suggestions = services.suggest(prefix, limit)
            return {"query": prefix, "suggestions": [presenters.suggestion_dict(s) for s in suggestions]}

        return cached_json_response(
            request,
            key,
            build,
            namespace="search.suggest",
            timeout=dictionaries.SUGGEST_CACHE_SECONDS,
            max_age=SUGGEST_MAX_AGE,
            s_maxage=SUGGEST_S_MAXAGE,
        )


class ClickSerializer(serializers.Serializer):
    query_id = serializers.UUIDField()
    product_id = serializers.IntegerField(min_value=1, max_value=2**62)
    position = serializers.IntegerField(min_value=1, max_value=10_000, required=False)


class ClickView(APIView):
    """A shopper opened a result: ``{"query_id", "product_id", "position"}`` from a search response."""

    @extend_schema(request=ClickSerializer, responses={204: OpenApiResponse(description="Recorded.")})
    def post(self, request: Request) -> Response:
        serializer = ClickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        query_id: uuid.UUID = data["query_id"]
        if not services.record_click(str(query_id), data["product_id"], data.get("position")):
            raise BadRequest(
                "That search is unknown or did not show this product.", "unknown_search", {"query_id": ["Unknown."]}
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
