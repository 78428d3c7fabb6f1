"""The order record: what was bought, at what price, shipped where, paid how.

Lines copy the product name, SKU code and price at the time of purchase, so an
order reads the same after the catalog changes. Other domains are referenced by
id only (user, SKU, product, warehouse, payment reference).
"""

from __future__ import annotations

import uuid

from django.db import models


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    PAYMENT_CONFIRMED = "payment_confirmed", "Payment confirmed"
    PICKED = "picked", "Picked"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    RETURN_REQUESTED = "return_requested", "Return requested"
    RETURNED = "returned", "Returned"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    checkout_id = models.UUIDField(unique=True, help_text="The checkout that created it: one order per checkout.")
    user_id = models.BigIntegerField(null=True, blank=True)
    email = models.EmailField()
    status = models.CharField(max_length=30, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    grand_total = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_method = models.CharField(max_length=30)
    shipping_address = models.JSONField()
    billing_address = models.JSONField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, help_text="The payments domain's reference.")
    placed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "-placed_at", "-id"], name="order_user_recent_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(grand_total__gte=0), name="order_total_non_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    product_name = models.CharField(max_length=500)
    sku_code = models.CharField(max_length=64)
    variant = models.JSONField(default=dict, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    warehouse_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["product_id", "order"], name="orderline_product_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku_code}"


class OrderStatusChange(models.Model):
    """Append-only history: who moved the order, when, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    actor = models.CharField(max_length=100, help_text='"system", "customer:<id>" or "staff:<id>".')
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"
