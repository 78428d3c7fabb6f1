"""What a client needs to tokenize a card with the processor itself (the mobile apps, the web form)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.payments.browser import processor_config

PAYMENT_CONFIG = inline_serializer(
    "PaymentConfig",
    {
        "publishable_key": serializers.CharField(),
        "processor": serializers.CharField(),
        "api_base": serializers.CharField(),
        "tokenize_url": serializers.CharField(help_text="POST the card here (never to us) for a payment method id."),
        "js_url": serializers.CharField(),
        "currency": serializers.CharField(),
    },
)


class PaymentConfigView(APIView):
    @extend_schema(responses=PAYMENT_CONFIG)
    def get(self, request: Request) -> Response:
        config = processor_config()
        response = Response(
            {
                "publishable_key": config.publishable_key,
                "processor": config.processor,
                "api_base": config.api_base,
                "tokenize_url": f"{config.api_base}/v1/payment_methods",
                "js_url": config.js_url,
                "currency": settings.DEFAULT_CURRENCY,
            }
        )
        response["Cache-Control"] = "public, max-age=300"
        return response
