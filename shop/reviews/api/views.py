"""Reviews REST API v1.

Public reads (a product's reviews and rating summary) are cache-first: Redis with
an ETag, under a per-product generation that every change to the product's
published reviews bumps. Writes need a signed-in customer and answer with the
review as the customer now sees it (``status: "pending"`` until the fraud gate
decides).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.catalog import services as catalog
from shop.core.api import choice_param, page_body, page_params
from shop.core.http_cache import cached_json_response, current_version
from shop.core.keyset import KeysetPage, cursor_cache_part
from shop.core.schema import PAGE_PARAMETERS, page_of
from shop.reviews import services
from shop.reviews.api.serializers import ReviewInputSerializer, ReviewSerializer, SummarySerializer

PAGE_SIZE, MAX_PAGE_SIZE = 10, 50
PUBLIC_MAX_AGE, PUBLIC_S_MAXAGE = 30, 60
REVIEW_PAGE = page_of("ReviewPage", ReviewSerializer)


def _page_body(page: KeysetPage) -> dict[str, Any]:
    return page_body(page, ReviewSerializer(page.items, many=True).data)


def _require_product(product_id: int) -> None:
    if product_id not in catalog.get_products([product_id]):
        raise NotFound(f"No product with id {product_id}.")


def _input(request: Request) -> dict[str, Any]:
    serializer = ReviewInputSerializer(data=request.data, partial=request.method == "PATCH")
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ProductReviewsView(APIView):
    """GET: published reviews (``sort``, ``page_size``, ``cursor``). POST: write one."""

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[OpenApiParameter("sort", str, enum=list(services.SORTS)), *PAGE_PARAMETERS], responses=REVIEW_PAGE
    )
    def get(self, request: Request, product_id: int) -> HttpResponse:
        sort = choice_param(request, "sort", list(services.SORTS), services.DEFAULT_SORT)
        cursor, size = page_params(request, PAGE_SIZE, MAX_PAGE_SIZE)

        def build() -> dict[str, Any]:
            _require_product(product_id)
            return _page_body(services.product_reviews(product_id, sort=sort, cursor=cursor, size=size))

        generation = current_version(services.cache_generation_name(product_id))
        key = f"reviews:list:{product_id}:g{generation}:{sort}:{size}:{cursor_cache_part(cursor)}"
        return cached_json_response(
            request, key, build, namespace="reviews.list", max_age=PUBLIC_MAX_AGE, s_maxage=PUBLIC_S_MAXAGE
        )

    @extend_schema(request=ReviewInputSerializer, responses={201: ReviewSerializer})
    def post(self, request: Request, product_id: int) -> Response:
        data = _input(request)
        review = services.submit_review(
            user_id=request.user.id, product_id=product_id, author_name=services.display_name(request.user), **data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ProductRatingSummaryView(APIView):
    """Average, count and the 1-5 star histogram of published reviews."""

    @extend_schema(responses=SummarySerializer)
    def get(self, request: Request, product_id: int) -> HttpResponse:
        def build() -> dict[str, Any]:
            _require_product(product_id)
            return SummarySerializer(services.rating_summary(product_id)).data

        generation = current_version(services.cache_generation_name(product_id))
        return cached_json_response(
            request,
            f"reviews:summary:{product_id}:g{generation}",
            build,
            namespace="reviews.summary",
            max_age=PUBLIC_MAX_AGE,
            s_maxage=PUBLIC_S_MAXAGE,
        )


class ReviewDetailView(APIView):
    """GET a published review (or your own); PATCH or DELETE your own."""

    def get_permissions(self) -> list[Any]:
        return [] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=ReviewSerializer)
    def get(self, request: Request, review_id: int) -> Response:
        review = services.get_review(review_id, viewer_id=request.user.id if request.user else None)
        if review is None:
            raise NotFound(f"No review with id {review_id}.")
        return Response(ReviewSerializer(review).data)

    @extend_schema(request=ReviewInputSerializer, responses=ReviewSerializer)
    def patch(self, request: Request, review_id: int) -> Response:
        review = services.edit_review(review_id=review_id, user_id=request.user.id, **_input(request))
        return Response(ReviewSerializer(review).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request: Request, review_id: int) -> Response:
        services.delete_review(review_id=review_id, user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewVoteView(APIView):
    """POST: "this review was helpful" (once per customer; not your own). DELETE: take it back."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: ReviewSerializer})
    def post(self, request: Request, review_id: int) -> Response:
        review = services.vote_helpful(review_id=review_id, user_id=request.user.id)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ReviewSerializer})
    def delete(self, request: Request, review_id: int) -> Response:
        review = services.unvote_helpful(review_id=review_id, user_id=request.user.id)
        return Response(ReviewSerializer(review).data)


class MyReviewsView(APIView):
    """The signed-in customer's reviews in every state, newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE_PARAMETERS, responses=REVIEW_PAGE)
    def get(self, request: Request) -> Response:
        cursor, size = page_params(request, 20, MAX_PAGE_SIZE)
        return Response(_page_body(services.user_reviews(request.user.id, cursor=cursor, size=size)))
