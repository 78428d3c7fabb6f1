"""Search API shapes for the OpenAPI schema: the bodies are built by ``shop.search.presenters``
(shared with the storefront); these declare them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from shop.search.params import MAX_PAGE_SIZE, SORTS


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    image = serializers.CharField()
    brand = serializers.CharField()
    category_path = serializers.CharField()
    price = serializers.CharField()
    list_price = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    rating_avg = serializers.CharField()
    rating_count = serializers.IntegerField()
    fast_delivery = serializers.BooleanField()
    availability = serializers.CharField()
    position = serializers.IntegerField()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()
    min = serializers.CharField(allow_null=True, required=False, help_text="Price ranges only.")
    max = serializers.CharField(allow_null=True, required=False, help_text="Price ranges only.")


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    values = FacetValueSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    query_id = serializers.CharField(allow_null=True, help_text="Send back with `search/clicks/`.")
    effective_query = serializers.CharField()
    did_you_mean = serializers.CharField(allow_null=True)
    auto_corrected = serializers.BooleanField()
    fuzzy = serializers.BooleanField()
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="Query string of the next page.")
    previous = serializers.CharField(allow_null=True)
    ranker_version = serializers.IntegerField(allow_null=True)
    results = HitSerializer(many=True)
    facets = FacetSerializer(many=True)


class FacetsResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    facets = FacetSerializer(many=True)


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    path = serializers.CharField(required=False, help_text="Categories only.")


class SuggestResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    suggestions = SuggestionSerializer(many=True)


FILTER_PARAMETERS = [
    OpenApiParameter("category", str, description="Category path, e.g. `Clothing>Men`."),
    OpenApiParameter("brand", str, many=True, description="Repeatable."),
    OpenApiParameter("price_min", str),
    OpenApiParameter("price_max", str),
    OpenApiParameter("rating", int, description="Minimum stars, 1-5."),
    OpenApiParameter("fast_delivery", bool),
    OpenApiParameter("in_stock", bool),
]
SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, required=True, description="The query."),
    *FILTER_PARAMETERS,
    OpenApiParameter("sort", str, enum=list(SORTS)),
    OpenApiParameter("page", int, description="Page number (relevance ranking has no cursor)."),
    OpenApiParameter("page_size", int, description=f"1-{MAX_PAGE_SIZE}."),
    OpenApiParameter("spell", bool, description="Correct spelling (default on)."),
]
