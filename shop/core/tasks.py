"""The outbox relay and event delivery, as Celery tasks.

Delivery is at-least-once: the relay may resend a batch if it dies between
sending and marking rows relayed, and a consumer task may be redelivered after a
worker crash. Exactly-once *effects* come from the consumers' dedup marks.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shop.core.events import Event, consumers_of, handler_for
from shop.core.models import FailedDelivery, IdempotentRequest, OutboxEvent, ProcessedEvent

log = logging.getLogger(__name__)

RELAY_BATCH = 500
RELAY_MAX_BATCHES = 40
RELAY_LOCK_KEY = 0x5E0B0C  # pg advisory lock id: one relay at a time keeps events in order
DELIVERY_MAX_RETRIES = 8
PRUNE_CHUNK = 5000
MARK_PROCESSED_SQL = (
    "INSERT INTO core_processedevent (event_id, consumer, processed_at) VALUES (%s, %s, now()) "
    "ON CONFLICT (event_id, consumer) DO NOTHING RETURNING id"
)


@shared_task(acks_late=True)
def relay_outbox() -> int:
    """Hand pending outbox rows, oldest first, to each subscribing consumer.

    One message per consumer per batch keeps the broker traffic proportional to
    batches, not events, so a bulk import does not flood the queue.
    """
    relayed = 0
    for _ in range(RELAY_MAX_BATCHES):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [RELAY_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return relayed
            rows = list(
                OutboxEvent.objects.filter(relayed_at__isnull=True)
                .order_by("id")
                .values("id", "event_id", "event_type", "payload", "occurred_at")[:RELAY_BATCH]
            )
            if not rows:
                return relayed
            per_consumer: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                envelope = {
                    "id": str(row["event_id"]),
                    "type": row["event_type"],
                    "occurred_at": row["occurred_at"].isoformat(),
                    "payload": row["payload"],
                }
                for consumer in consumers_of(row["event_type"]):
                    per_consumer.setdefault(consumer, []).append(envelope)
            for consumer, envelopes in per_consumer.items():
                deliver_events.apply_async(args=[consumer, envelopes])
            OutboxEvent.objects.filter(id__in=[row["id"] for row in rows]).update(relayed_at=timezone.now())
            relayed += len(rows)
        if len(rows) < RELAY_BATCH:
            return relayed
    relay_outbox.apply_async()  # more is waiting: continue in a fresh task rather than hog a worker
    return relayed


@shared_task(bind=True, acks_late=True, max_retries=DELIVERY_MAX_RETRIES)
def deliver_events(self: Any, consumer: str, envelopes: list[dict[str, Any]]) -> int:
    """Apply events to one consumer in order; each event at most once."""
    for index, envelope in enumerate(envelopes):
        try:
            apply_event(consumer, envelope)
        except Exception as exc:
            remaining = envelopes[index:]
            if self.request.retries >= self.max_retries:
                log.exception("giving up on %s for %s %s", consumer, envelope["type"], envelope["id"])
                _record_failure(consumer, envelope, exc)
                if len(remaining) > 1:
                    deliver_events.apply_async(args=[consumer, remaining[1:]])
                return index
            countdown = min(2**self.request.retries, 300)
            raise self.retry(args=[consumer, remaining], exc=exc, countdown=countdown) from exc
    return len(envelopes)


def apply_event(consumer: str, envelope: dict[str, Any]) -> bool:
    """Run one consumer on one event unless it already ran; True if it ran now.

    The dedup mark and the consumer's own writes share one transaction, so a
    crash rolls back both and the redelivery applies the event again.
    """
    handler = handler_for(envelope["type"], consumer)
    if handler is None:
        log.warning("no consumer %s for %s any more; dropping %s", consumer, envelope["type"], envelope["id"])
        return False
    event = Event.from_envelope(envelope)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                MARK_PROCESSED_SQL,
                [envelope["id"], consumer],
            )
            if cursor.fetchone() is None:
                return False
        handler(event)
    return True


def _record_failure(consumer: str, envelope: dict[str, Any], exc: Exception) -> None:
    FailedDelivery.objects.update_or_create(
        event_id=envelope["id"],
        consumer=consumer,
        defaults={"event_type": envelope["type"], "payload": envelope, "error": repr(exc), "resolved_at": None},
    )


@shared_task
def prune_outbox() -> int:
    """Delete relayed events and dedup marks past retention, in bounded chunks."""
    cutoff = timezone.now() - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted = 0
    for model, field in ((OutboxEvent, "relayed_at"), (ProcessedEvent, "processed_at")):
        while True:
            ids = list(model.objects.filter(**{f"{field}__lt": cutoff}).values_list("id", flat=True)[:PRUNE_CHUNK])
            if not ids:
                break
            deleted += model.objects.filter(id__in=ids).delete()[0]
    return deleted


@shared_task
def prune_idempotency_keys() -> int:
    """Forget idempotency keys after ``IDEMPOTENCY_KEY_DAYS`` (daily, in bounded chunks): a client
    retries within minutes, not weeks."""
    cutoff = timezone.now() - timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    deleted = 0
    while True:
        ids = list(IdempotentRequest.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:PRUNE_CHUNK])
        if not ids:
            return deleted
        deleted += IdempotentRequest.objects.filter(id__in=ids).delete()[0]
