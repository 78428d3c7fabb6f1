"""The processor's webhook endpoint: the raw body is verified before anything is parsed or changed."""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from shop.core.api import SignedWebhookView, error_body
from shop.core.schema import ErrorSerializer
from shop.payments import processor
from shop.payments.webhooks import handle_event

log = logging.getLogger(__name__)


class WebhookView(SignedWebhookView):
    """The processor's events (``Stripe-Signature`` over the raw body)."""

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER)],
        responses={
            200: inline_serializer(
                "PaymentsWebhookReceived", {"received": serializers.BooleanField(), "outcome": serializers.CharField()}
            ),
            503: ErrorSerializer,
        },
        auth=[],
    )
    def post(self, request: Request) -> JsonResponse:
        try:
            event = processor.verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
        except processor.BadSignature as error:
            log.warning("rejected a payments webhook: %s", error)
            return JsonResponse(error_body("invalid_signature", "The webhook signature does not verify."), status=400)
        except ImproperlyConfigured as error:
            log.error("payments webhook: %s", error)
            return JsonResponse(error_body("not_configured", "Webhooks are not configured."), status=503)
        outcome = handle_event(event)
        return JsonResponse({"received": True, "outcome": outcome})
