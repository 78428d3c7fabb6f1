"""Checkout REST API v1: place an order (202, then follow it), its status, shipping quotes.

Signed-in customers only (session or ``Authorization: Token ...``); a guest's cart is merged
into the account at sign-in. Someone else's checkout is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.checkout import services
from shop.checkout.api.serializers import (
    CheckoutRequestSerializer,
    CheckoutSerializer,
    QuoteRequestSerializer,
    ShippingQuoteSerializer,
)
from shop.checkout.services import CheckoutInfo
from shop.core import idempotency
from shop.core.api import BadRequest
from shop.core.schema import IDEMPOTENCY_KEY_PARAMETER
from shop.core.throttling import ScopedThrottle

POLL_AFTER_SECONDS = "1"


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise BadRequest("The body must be a JSON object.", "invalid_body")
    return request.data


def _checkout(request: Request, info: CheckoutInfo, code: int) -> Response:
    response = Response(CheckoutSerializer(info, context={"request": request}).data, status=code)
    response["Cache-Control"] = "private, no-store"
    if not info.is_terminal:
        response["Retry-After"] = POLL_AFTER_SECONDS
    return response


class CheckoutView(APIView):
    """``POST /api/v1/checkout`` with an ``Idempotency-Key`` header: 202 and the checkout to follow."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        request=CheckoutRequestSerializer, responses={202: CheckoutSerializer}, parameters=[IDEMPOTENCY_KEY_PARAMETER]
    )
    def post(self, request: Request) -> Response:
        info, created = services.start_checkout(
            request.user.id, request.headers.get(idempotency.HEADER, ""), _body(request)
        )
        response = _checkout(request, info, status.HTTP_202_ACCEPTED)
        response["Location"] = response.data["status_url"]
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class CheckoutDetailView(APIView):
    """``GET /api/v1/checkout/<id>``: state, current step, failure, totals, the order once placed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CheckoutSerializer)
    def get(self, request: Request, checkout_id: uuid.UUID) -> Response:
        info = services.get_checkout(checkout_id, request.user.id)
        if info is None:
            raise NotFound(f"No checkout with id {checkout_id}.")
        return _checkout(request, info, status.HTTP_200_OK)


class QuoteView(APIView):
    """``POST /api/v1/checkout/quote`` with an address: every shipping option for the cart, priced."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        request=QuoteRequestSerializer,
        responses=inline_serializer(
            "ShippingQuotes",
            {"shipping_address": serializers.DictField(), "options": ShippingQuoteSerializer(many=True)},
        ),
    )
    def post(self, request: Request) -> Response:
        address, quotes = services.quote_cart(request.user.id, _body(request))
        return Response(
            {"shipping_address": address.as_dict(), "options": ShippingQuoteSerializer(quotes, many=True).data}
        )
