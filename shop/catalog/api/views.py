"""Catalog REST API v1: public, read-only and cache-first.

Each view validates its parameters, then serves from Redis with an ETag; the
database is only read on a cache miss (see ``shop.core.http_cache``).
"""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView

from shop.catalog import cache, queries
from shop.catalog.api.serializers import (
    CategoryDetailSerializer,
    CategoryNodeSerializer,
    ProductDetailSerializer,
    ProductListItemSerializer,
)
from shop.catalog.models import Brand, Category, Product
from shop.core.api import BadRequest, choice_param, int_param, page_body, page_params
from shop.core.http_cache import cached_json_response
from shop.core.keyset import cursor_cache_part
from shop.core.schema import PAGE_PARAMETERS

MAX_TREE_DEPTH = 10


def _category_or_404(category_id: int) -> Category:
    category = Category.objects.filter(id=category_id, is_active=True).first()
    if category is None:
        raise NotFound(f"No category with id {category_id}.")
    return category


class CategoryTreeView(APIView):
    """The category tree, ``depth`` levels deep (default 3), with product counts."""

    @extend_schema(
        parameters=[OpenApiParameter("depth", int, description=f"Levels, 1-{MAX_TREE_DEPTH} (default 3).")],
        responses=inline_serializer("CategoryTree", {"results": CategoryNodeSerializer(many=True)}),
    )
    def get(self, request: Request) -> HttpResponse:
        depth = int_param(request, "depth", 3, maximum=MAX_TREE_DEPTH)
        return cached_json_response(
            request,
            cache.generation_key("tree", depth),
            lambda: {"results": queries.category_tree(depth)},
            namespace="catalog.tree",
        )


class CategoryDetailView(APIView):
    @extend_schema(responses=CategoryDetailSerializer)
    def get(self, request: Request, category_id: int) -> HttpResponse:
        def build() -> dict[str, Any]:
            return CategoryDetailSerializer(_category_or_404(category_id)).data

        return cached_json_response(
            request, cache.generation_key("category", category_id), build, namespace="catalog.category"
        )


class ProductListView(APIView):
    """Products of a category subtree (or all), sorted, in keyset pages.

    Follow ``next``/``previous`` cursors; there are no page numbers because deep
    offsets do not scale.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", str, enum=list(queries.SORTS), description="Default `featured`."),
            OpenApiParameter("brand", int, description="Only this brand's products."),
            *PAGE_PARAMETERS,
        ],
        responses=inline_serializer(
            "ProductPage",
            {
                "count": serializers.IntegerField(),
                "count_is_capped": serializers.BooleanField(help_text="`count` stopped counting at a cap."),
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": ProductListItemSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request, category_id: int | None = None) -> HttpResponse:
        sort = choice_param(request, "sort", list(queries.SORTS), "featured")
        cursor, size = page_params(request, queries.DEFAULT_PAGE_SIZE, queries.MAX_PAGE_SIZE)
        brand_id = self._brand_id(request)

        def build() -> dict[str, Any]:
            category = _category_or_404(category_id) if category_id is not None else None
            listing = queries.product_listing(category=category, brand_id=brand_id, sort=sort, cursor=cursor, size=size)
            body = page_body(listing.page, ProductListItemSerializer(listing.page.items, many=True).data)
            return {"count": listing.total, "count_is_capped": listing.total_is_capped, **body}

        key = cache.generation_key("list", category_id, brand_id, sort, size, cursor_cache_part(cursor))
        return cached_json_response(request, key, build, namespace="catalog.list")

    @staticmethod
    def _brand_id(request: Request) -> int | None:
        if not request.query_params.get("brand"):
            return None
        brand_id = int_param(request, "brand", 0, minimum=1, maximum=2**62)
        if not Brand.objects.filter(id=brand_id).exists():
            raise BadRequest(f"No brand with id {brand_id}.", "invalid_parameter", {"brand": ["Unknown brand."]})
        return brand_id


class ProductDetailView(APIView):
    """One product with its SKUs, attributes, images and breadcrumbs."""

    @extend_schema(responses=ProductDetailSerializer)
    def get(self, request: Request, product_id: int) -> HttpResponse:
        def build() -> dict[str, Any]:
            try:
                product = queries.product_with_details(product_id)
            except Product.DoesNotExist:
                raise NotFound(f"No product with id {product_id}.") from None
            return ProductDetailSerializer(product).data

        return cached_json_response(request, cache.product_key(product_id), build, namespace="catalog.product")
