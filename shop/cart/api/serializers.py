"""Cart API payloads. Types only: the quantity and SKU rules live in the services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from shop.cart.services import CartView


class AddItemSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField()
    quantity = serializers.IntegerField(default=1)


class QuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField()


class CartItemOutSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    variant = serializers.DictField(child=serializers.CharField())
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(allow_null=True, help_text="Decimal string; null if no longer sold.")
    price_when_added = serializers.CharField(allow_null=True)
    price_changed = serializers.BooleanField()
    line_total = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    is_available = serializers.BooleanField()
    stock_status = serializers.CharField()
    available_quantity = serializers.IntegerField(allow_null=True)


class CartSerializer(serializers.Serializer):
    token = serializers.CharField(allow_null=True, help_text="A guest's cart token (send it as `X-Cart-Token`).")
    items = CartItemOutSerializer(many=True)
    item_count = serializers.IntegerField()
    subtotal = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    has_price_changes = serializers.BooleanField()
    max_quantity_per_line = serializers.IntegerField()


def cart_body(cart: CartView, token: str | None) -> dict[str, Any]:
    return {
        "token": token,
        "items": [
            {
                "sku_id": item.sku_id,
                "product_id": item.product_id,
                "product_name": item.product_name,
                "variant": item.variant,
                "quantity": item.quantity,
                "unit_price": _money(item.unit_price),
                "price_when_added": _money(item.price_when_added),
                "price_changed": item.price_changed,
                "line_total": _money(item.line_total),
                "currency": item.currency,
                "is_available": item.is_available,
                "stock_status": item.stock_status,
                "available_quantity": item.available_quantity,
            }
            for item in cart.items
        ],
        "item_count": cart.item_count,
        "subtotal": _money(cart.subtotal),
        "currency": cart.currency,
        "has_price_changes": cart.has_price_changes,
        "max_quantity_per_line": cart.max_quantity_per_line,
    }


def _money(amount: Any) -> str | None:
    return None if amount is None else f"{amount:.2f}"
