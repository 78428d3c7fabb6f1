"""Payments: one row per payment reference, its append-only status history, its processor calls.

``PaymentOperation`` is what makes the processor calls crash-safe: the row (with the exact
request and its idempotency key) is committed *before* the call to Stripe, and completed in
the transaction that records the outcome. A process that dies in between leaves a pending
operation; whoever touches the payment next replays it with the same key, so Stripe answers
with the original result instead of acting twice.
"""

from __future__ import annotations

from django.db import models


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # recorded, the processor's answer not yet known
    REQUIRES_ACTION = "requires_action", "Requires customer action"  # 3D Secure
    AUTHORIZED = "authorized", "Authorized"
    PARTIALLY_CAPTURED = "partially_captured", "Partially captured"  # more captures may follow
    CAPTURED = "captured", "Captured"  # final: the rest of the authorization is released
    VOIDED = "voided", "Voided"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class Payment(models.Model):
    """A card payment for one caller reference (e.g. ``checkout-<saga id>``), authorized once."""

    reference = models.CharField(max_length=100, unique=True)
    intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    currency = models.CharField(max_length=3)
    amount_authorized = models.DecimalField(max_digits=12, decimal_places=2)
    amount_captured = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_capturable = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    payment_method = models.CharField(max_length=255)
    customer_email = models.EmailField(blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    multicapture = models.BooleanField(default=False, help_text="The processor allows several partial captures.")
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    next_action_url = models.URLField(max_length=1000, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at"], name="payment_status_created_idx"),
            models.Index(fields=["-created_at", "-id"], name="payment_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class PaymentStatusChange(models.Model):
    """One transition of a payment, appended in the transaction that made it; never edited."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    source = models.CharField(max_length=120, help_text="The service call or webhook event that caused it.")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "status change"

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class OperationKind(models.TextChoices):
    AUTHORIZE = "authorize", "Authorize"
    CAPTURE = "capture", "Capture"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"


class OperationState(models.TextChoices):
    PENDING = "pending", "Pending"  # committed before the call; the outcome is not recorded yet
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned"  # too old to replay (the key expired): reconciled instead


class PaymentOperation(models.Model):
    """A call to the processor under one idempotency key, and its outcome."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=10, choices=OperationKind.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    request = models.JSONField(help_text="The exact parameters sent, so a retry sends the same.")
    state = models.CharField(max_length=10, choices=OperationState.choices, default=OperationState.PENDING)
    processor_id = models.CharField(max_length=255, blank=True, help_text="e.g. the refund id")
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["payment"], name="payment_op_pending_idx", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.state})"


class WebhookEvent(models.Model):
    """A processor event already applied: a redelivery of the same event id changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
