"""Emails we send (one row per event and kind: the record that makes sending idempotent)
and alerts raised for staff."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    ORDER_CONFIRMATION = "order_confirmation", "Order confirmation"
    SHIPPING = "shipping", "Shipped, with tracking"
    DELIVERY = "delivery", "Delivered"
    CANCELLATION = "cancellation", "Cancelled"
    RETURN_LABEL = "return_label", "Return label"
    REFUND = "refund", "Refunded"
    STAFF_ALERT = "staff_alert", "Staff alert"
    SUPPORT_REPLY = "support_reply", "Customer service reply"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retries exhausted)"


class Notification(models.Model):
    """Recorded before sending, unique per (event, kind): a redelivered event finds its row
    and sends nothing; the send task sends a pending row once and marks it sent."""

    event_id = models.UUIDField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    recipients = models.JSONField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "kind"], name="notification_once_per_event")]
        indexes = [
            # The resender's scan: rows still pending (a lost task).
            models.Index(fields=["created_at"], name="notification_pending_idx", condition=models.Q(status="pending"))
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {', '.join(self.recipients)}"


class StaffAlert(models.Model):
    """Something staff must act on (a capture or a refund that failed), shown in the admin
    until resolved; each alert is also logged and emailed to ``NOTIFICATIONS_STAFF_EMAILS``."""

    kind = models.CharField(max_length=50)
    subject = models.CharField(max_length=300)
    message = models.TextField()
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-created_at"], name="alert_open_idx", condition=models.Q(resolved_at__isnull=True))
        ]

    def __str__(self) -> str:
        return self.subject
