"""The carriers' webhook endpoint (the body is verified by signature, so no session or CSRF)."""

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from shop.core.api import SignedWebhookView
from shop.fulfillment import webhooks

MAX_BODY = 64 * 1024
WEBHOOK_RECEIVED = inline_serializer(
    "CarrierWebhookReceived",
    {"received": serializers.BooleanField(), "outcome": serializers.ChoiceField(choices=["applied", "ignored"])},
)


class CarrierWebhookView(SignedWebhookView):
    """Tracking events from a carrier (``simex``: the simulated one), signed with its secret."""

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WEBHOOK_RECEIVED},
        auth=[],
    )
    def post(self, request: Request, carrier: str) -> JsonResponse:
        if len(request.body) > MAX_BODY:
            return JsonResponse(webhooks.error_body("too_large", "The body is too large."), status=413)
        outcome = webhooks.receive(carrier, request.body, request.headers)
        return JsonResponse(outcome.body, status=outcome.status)
