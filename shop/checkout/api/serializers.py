"""Checkout API bodies (serializing ``shop.checkout.services`` results)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request

from shop.checkout.models import ShippingRate
from shop.checkout.services import CheckoutInfo


class CheckoutLineSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    variant = serializers.DictField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class TotalsSerializer(serializers.Serializer):
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2, source="shipping_total")
    tax = serializers.DecimalField(max_digits=12, decimal_places=2, source="tax_total")
    grand_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class CheckoutSerializer(serializers.Serializer):
    """Serializes ``CheckoutInfo``; ``failure`` and ``order`` are null until they exist."""

    id = serializers.CharField(source="checkout_id")
    state = serializers.CharField()
    step = serializers.CharField()
    is_terminal = serializers.BooleanField()
    failure = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    shipping_option = serializers.CharField()
    shipping_address = serializers.DictField()
    lines = CheckoutLineSerializer(many=True)
    order = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_failure(self, info: CheckoutInfo) -> dict[str, str] | None:
        if not info.failure_code:
            return None
        return {"code": info.failure_code, "message": info.failure_message}

    def get_totals(self, info: CheckoutInfo) -> dict[str, Any] | None:
        return TotalsSerializer(info).data if info.grand_total is not None else None

    def get_order(self, info: CheckoutInfo) -> dict[str, Any] | None:
        if info.order_id is None:
            return None
        url = reverse("api-order-detail", args=[info.order_id])
        return {"id": info.order_id, "number": info.order_number, "url": self._absolute(url)}

    def get_status_url(self, info: CheckoutInfo) -> str:
        return self._absolute(reverse("api-checkout-detail", args=[info.checkout_id]))

    def _absolute(self, path: str) -> str:
        request: Request | None = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ShippingQuoteSerializer(serializers.Serializer):
    option = serializers.CharField()
    label = serializers.CharField()
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_name = serializers.CharField()
    min_days = serializers.IntegerField()
    max_days = serializers.IntegerField()


class QuoteRequestSerializer(serializers.Serializer):
    """Where to ship: a saved address, or one given in full (documents the body the services check)."""

    address_id = serializers.IntegerField(required=False, help_text="One of the customer's saved addresses.")
    shipping_address = serializers.DictField(
        required=False,
        help_text="Instead of `address_id`: name, line1, line2, city, region, postcode, country (two letters), phone.",
    )


class CheckoutRequestSerializer(QuoteRequestSerializer):
    shipping_option = serializers.ChoiceField(choices=ShippingRate.Option.choices)
    payment_method = serializers.CharField(
        help_text="A payment method id from the processor's tokenization (`payments/config`), never card data."
    )
