"""The order record: what was bought, at what price, shipped where, paid how.

Lines copy the product name, SKU code and price at the time of purchase, so an
order reads the same after the catalog changes. Other domains are referenced by
id only (user, SKU, product, warehouse, payment reference).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from shop.core.saga import SagaJournal, SagaRecord


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
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last parcel was delivered: the return window starts here."
    )

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "-placed_at", "-id"], name="order_user_recent_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_idx"),
            # Payment events name the payment by reference; they find their order through it.
            models.Index(fields=["payment_reference"], name="order_payment_ref_idx"),
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


# --- Returns -------------------------------------------------------------------------------------


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received at the warehouse"
    REFUNDED = "refunded", "Refunded"
    REFUND_FAILED = "refund_failed", "Refund failed (staff alerted)"
    REJECTED = "rejected", "Rejected"


OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED, ReturnStatus.REFUND_FAILED)


class Return(models.Model):
    """A customer's return of some delivered units; its refund runs as a saga (:class:`Refund`)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    reason = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="What the refund gives back.")
    currency = models.CharField(max_length=3)
    requested_by = models.CharField(max_length=100)
    requested_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["status", "-requested_at"], name="return_status_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="return_amount_non_negative")]

    def __str__(self) -> str:
        return f"return {self.id} of {self.order_id}"


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["ret_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="returnline_quantity_positive"),
            models.UniqueConstraint(fields=["ret", "line"], name="returnline_once_per_return"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.line_id}"


class Refund(SagaRecord):
    """The refund saga of one return: refund the payment, restock, close. One per return,
    so a return can never be refunded twice; every step is idempotent on the return's id."""

    ret = models.OneToOneField(Return, on_delete=models.CASCADE, related_name="refund")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    refund_id = models.CharField(max_length=100, blank=True, help_text="The processor's refund id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The resumer's scan: unfinished sagas whose lease ran out.
            models.Index(
                fields=["lease_until"],
                name="refund_unfinished_idx",
                condition=models.Q(state__in=["pending", "running", "compensating"]),
            ),
        ]

    def __str__(self) -> str:
        return f"refund of return {self.ret_id} ({self.state})"


class RefundStepLog(SagaJournal):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["refund_id", "started_at", "id"]


class ReturnPolicy(models.Model):
    """The return window, edited by staff; without a row the ``ORDERS_RETURN_WINDOW_DAYS`` setting applies."""

    window_days = models.PositiveSmallIntegerField(
        help_text="Days after delivery during which a customer may request a return."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "return policy"

    def __str__(self) -> str:
        return f"Returns within {self.window_days} days of delivery"

    @classmethod
    def window(cls) -> int:
        row = cls.objects.order_by("-updated_at").first()
        return row.window_days if row else settings.ORDERS_RETURN_WINDOW_DAYS
