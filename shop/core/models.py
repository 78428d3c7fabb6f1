"""Tables of the transactional outbox and of its consumers' bookkeeping."""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the state change it reports.

    The relay reads unrelayed rows in ``id`` order (a bigserial, so commit order
    within one writer), hands them to the subscribers, then stamps ``relayed_at``.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The relay's hot query: WHERE relayed_at IS NULL ORDER BY id.
            models.Index(fields=["id"], name="outbox_pending_idx", condition=models.Q(relayed_at__isnull=True)),
            models.Index(fields=["relayed_at"], name="outbox_relayed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class ProcessedEvent(models.Model):
    """Marks that one consumer has applied one event, so a redelivery is a no-op.

    Written in the same transaction as the consumer's own changes.
    """

    event_id = models.UUIDField()
    consumer = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "consumer"], name="processed_event_once")]

    def __str__(self) -> str:
        return f"{self.consumer} <- {self.event_id}"


class FailedDelivery(models.Model):
    """A delivery that exhausted its retries: kept for staff to inspect and replay."""

    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    consumer = models.CharField(max_length=200)
    payload = models.JSONField()
    error = models.TextField()
    failed_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "consumer"], name="failed_delivery_once")]
        verbose_name_plural = "failed deliveries"

    def __str__(self) -> str:
        return f"{self.consumer} x {self.event_type} {self.event_id}"


class IdempotentRequest(models.Model):
    """An unsafe request sent with an Idempotency-Key: a retry gets the first answer, not a second action."""

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=200)
    action = models.CharField(max_length=50)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "key"], name="core_idempotent_request_once")]

    def __str__(self) -> str:
        return f"{self.action} {self.key}"
