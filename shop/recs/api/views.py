"""Recommendations REST API v1: the same lookups as the storefront widgets, and a view beacon for apps.

Responses are personal (they depend on the customer or the visitor id), so
they are ``Cache-Control: private`` and vary on the cookie.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.api import BadRequest, int_param
from shop.recs import interactions, serving
from shop.recs.middleware import visitor_for
from shop.recs.serving import Recommendations

DEFAULT_LIMIT = 10
MAX_IDS = 50


def id_list_param(request: Request, name: str) -> list[int]:
    """``?name=1,2,3``: up to ``MAX_IDS`` positive ids, or a 400 that names the parameter."""
    raw = request.query_params.get(name, "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_IDS:
        message = f"At most {MAX_IDS} ids."
        raise BadRequest(f"{name}: {message}", "invalid_parameter", {name: [message]})
    try:
        ids = [int(part) for part in parts]
    except ValueError:
        message = "Must be a comma-separated list of product ids."
        raise BadRequest(f"{name}: {message}", "invalid_parameter", {name: [message]}) from None
    if any(not 0 < pid < interactions.MAX_ID for pid in ids):
        message = "Ids must be positive integers."
        raise BadRequest(f"{name}: {message}", "invalid_parameter", {name: [message]})
    return ids


def render(recs: Recommendations) -> Response:
    response = Response(
        {
            "source": recs.source,
            "model_version": recs.version,
            "results": [
                {
                    "product_id": card.product_id,
                    "name": card.name,
                    "brand": card.brand,
                    "price": str(card.price),
                    "currency": card.currency,
                    "url": reverse("catalog:product-slug", args=[card.product_id, card.slug]),
                    "image_url": reverse("catalog:image", args=[card.product_id, 0]),
                }
                for card in recs.items
            ],
        }
    )
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])
    return response


RECOMMENDATIONS = inline_serializer(
    "Recommendations",
    {
        "source": serializers.CharField(help_text="`model`, `popular`, ...: where the list came from."),
        "model_version": serializers.CharField(allow_null=True),
        "results": inline_serializer(
            "RecommendedProduct",
            {
                "product_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "brand": serializers.CharField(),
                "price": serializers.CharField(),
                "currency": serializers.CharField(),
                "url": serializers.CharField(),
                "image_url": serializers.CharField(),
            },
            many=True,
        ),
    },
)
LIMIT = OpenApiParameter("limit", int, description=f"1-{serving.MAX_LIMIT} (default {DEFAULT_LIMIT}).")


def _ids(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=f"{description}: up to {MAX_IDS} comma-separated product ids.")


class ForYouView(APIView):
    """Recommended for you: ``?limit=`` (1-50), ``?exclude=`` product ids to leave out."""

    @extend_schema(parameters=[LIMIT, _ids("exclude", "Leave out")], responses=RECOMMENDATIONS)
    def get(self, request: Request) -> HttpResponse:
        limit = int_param(request, "limit", DEFAULT_LIMIT, maximum=serving.MAX_LIMIT)
        exclude = id_list_param(request, "exclude")
        return render(serving.recommended_for(visitor_for(request), limit=limit, exclude=exclude))


class AlsoBoughtView(APIView):
    """Customers who bought this also bought, for one product."""

    @extend_schema(parameters=[LIMIT], responses=RECOMMENDATIONS)
    def get(self, request: Request, product_id: int) -> HttpResponse:
        limit = int_param(request, "limit", DEFAULT_LIMIT, maximum=serving.MAX_LIMIT)
        return render(serving.also_bought(product_id, visitor_for(request), limit=limit))


class CartView(APIView):
    """Related to items in your cart: ``?product_ids=`` (the visitor's recorded cart when omitted)."""

    @extend_schema(parameters=[LIMIT, _ids("product_ids", "The cart")], responses=RECOMMENDATIONS)
    def get(self, request: Request) -> HttpResponse:
        limit = int_param(request, "limit", DEFAULT_LIMIT, maximum=serving.MAX_LIMIT)
        product_ids = id_list_param(request, "product_ids")
        return render(serving.for_cart(product_ids, visitor_for(request), limit=limit))


class ViewSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=interactions.MAX_ID - 1)


class ViewBeaconView(APIView):
    """``POST {"product_id": 12}``: an app's product view (the storefront records its own).

    A guest without a visitor id gets one in the ``X-Visitor-Id`` header (and cookie).
    """

    @extend_schema(
        request=ViewSerializer,
        responses={
            202: inline_serializer(
                "ViewRecorded", {"recorded": serializers.BooleanField(), "product_id": serializers.IntegerField()}
            )
        },
    )
    def post(self, request: Request) -> HttpResponse:
        serializer = ViewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product_id: int = serializer.validated_data["product_id"]
        visitor = visitor_for(request, assign=True)
        interactions.buffer_view(product_id, visitor)
        body: dict[str, Any] = {"recorded": True, "product_id": product_id}
        return Response(body, status=status.HTTP_202_ACCEPTED)
