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
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.catalog import services as catalog
from shop.core.api import BadRequest, choice_param, int_param
from shop.core.http_cache import cached_json_response, current_version
from shop.core.keyset import InvalidCursor, KeysetPage
from shop.reviews import services
from shop.reviews.api.serializers import ReviewInputSerializer, ReviewSerializer, SummarySerializer

PAGE_SIZE, MAX_PAGE_SIZE = 10, 50
MAX_CURSOR_LENGTH = 1000
PUBLIC_MAX_AGE, PUBLIC_S_MAXAGE = 30, 60
ERROR_STATUS = {
    services.InvalidReview: status.HTTP_400_BAD_REQUEST,
    services.UnknownProduct: status.HTTP_404_NOT_FOUND,
    services.ReviewNotFound: status.HTTP_404_NOT_FOUND,
    services.DuplicateReview: status.HTTP_409_CONFLICT,
    services.AlreadyVoted: status.HTTP_409_CONFLICT,
    services.OwnReview: status.HTTP_403_FORBIDDEN,
}


class ReviewAPIError(APIException):
    """A service's ReviewError in the API's error shape, with its own status and code."""

    def __init__(self, error: services.ReviewError) -> None:
        self.status_code = ERROR_STATUS[type(error)]
        super().__init__(detail=error.message, code=error.code)
        self.fields = error.fields


class ReviewsAPIView(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.ReviewError):
            exc = ReviewAPIError(exc)
        elif isinstance(exc, InvalidCursor):
            exc = BadRequest(str(exc), "invalid_cursor", {"cursor": [str(exc)]})
        return super().handle_exception(exc)


def _cursor(request: Request) -> str | None:
    cursor = request.query_params.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("The cursor is not valid; start again from the first page.")
    return cursor


def _page_body(page: KeysetPage) -> dict[str, Any]:
    return {
        "next": page.next_cursor,
        "previous": page.previous_cursor,
        "results": ReviewSerializer(page.items, many=True).data,
    }


def _require_product(product_id: int) -> None:
    if product_id not in catalog.get_products([product_id]):
        raise NotFound(f"No product with id {product_id}.")


def _input(request: Request) -> dict[str, Any]:
    serializer = ReviewInputSerializer(data=request.data, partial=request.method == "PATCH")
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ProductReviewsView(ReviewsAPIView):
    """GET: published reviews (``sort``, ``page_size``, ``cursor``). POST: write one."""

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else []

    def get(self, request: Request, product_id: int) -> HttpResponse:
        sort = choice_param(request, "sort", list(services.SORTS), services.DEFAULT_SORT)
        size = int_param(request, "page_size", PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        cursor = _cursor(request)

        def build() -> dict[str, Any]:
            _require_product(product_id)
            try:
                return _page_body(services.product_reviews(product_id, sort=sort, cursor=cursor, size=size))
            except InvalidCursor as exc:
                raise BadRequest(str(exc), "invalid_cursor", {"cursor": [str(exc)]}) from None

        generation = current_version(services.cache_generation_name(product_id))
        key = f"reviews:list:{product_id}:g{generation}:{sort}:{size}:{cursor}"
        return cached_json_response(
            request, key, build, namespace="reviews.list", max_age=PUBLIC_MAX_AGE, s_maxage=PUBLIC_S_MAXAGE
        )

    def post(self, request: Request, product_id: int) -> Response:
        data = _input(request)
        review = services.submit_review(
            user_id=request.user.id, product_id=product_id, author_name=services.display_name(request.user), **data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ProductRatingSummaryView(ReviewsAPIView):
    """Average, count and the 1-5 star histogram of published reviews."""

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


class ReviewDetailView(ReviewsAPIView):
    """GET a published review (or your own); PATCH or DELETE your own."""

    def get_permissions(self) -> list[Any]:
        return [] if self.request.method == "GET" else [IsAuthenticated()]

    def get(self, request: Request, review_id: int) -> Response:
        review = services.get_review(review_id, viewer_id=request.user.id if request.user else None)
        if review is None:
            raise NotFound(f"No review with id {review_id}.")
        return Response(ReviewSerializer(review).data)

    def patch(self, request: Request, review_id: int) -> Response:
        review = services.edit_review(review_id=review_id, user_id=request.user.id, **_input(request))
        return Response(ReviewSerializer(review).data)

    def delete(self, request: Request, review_id: int) -> Response:
        services.delete_review(review_id=review_id, user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewVoteView(ReviewsAPIView):
    """POST: "this review was helpful" (once per customer; not your own). DELETE: take it back."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, review_id: int) -> Response:
        review = services.vote_helpful(review_id=review_id, user_id=request.user.id)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    def delete(self, request: Request, review_id: int) -> Response:
        review = services.unvote_helpful(review_id=review_id, user_id=request.user.id)
        return Response(ReviewSerializer(review).data)


class MyReviewsView(ReviewsAPIView):
    """The signed-in customer's reviews in every state, newest first."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        size = int_param(request, "page_size", 20, maximum=MAX_PAGE_SIZE)
        return Response(_page_body(services.user_reviews(request.user.id, cursor=_cursor(request), size=size)))
