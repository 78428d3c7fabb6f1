"""Processor events, applied once each, in whatever order they arrive.

The processor retries a delivery until we answer 2xx, and may deliver an event twice or
after a later one. The event id is recorded in the transaction that applies it (a
redelivery finds it and changes nothing), and the snapshot goes through the same forward-only
``apply_snapshot`` as our own calls, so a stale event cannot undo a newer state.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from shop.payments.models import Payment, WebhookEvent
from shop.payments.recording import apply_snapshot

INTENT_EVENTS = {
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.canceled",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
}
CHARGE_EVENTS = {"charge.refunded"}


def handle_event(event: dict[str, Any]) -> str:
    """Apply a verified event: ``applied``, ``duplicate`` (seen before) or ``ignored``."""
    event_type = str(event.get("type") or "")
    obj: dict[str, Any] = event["data"]["object"]
    is_intent = event_type in INTENT_EVENTS
    intent_id = str((obj.get("id") if is_intent else obj.get("payment_intent")) or "")
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    event_id=str(event["id"])[:255], event_type=event_type[:100], intent_id=intent_id[:255]
                )
        except IntegrityError:
            return "duplicate"
        if not is_intent and event_type not in CHARGE_EVENTS:
            return "ignored"
        payment = _payment_for(intent_id, obj if is_intent else None)
        if payment is None:
            return "ignored"  # not one of ours (another integration on the same account)
        source = f"webhook:{event_type}:{event['id']}"
        if is_intent:
            apply_snapshot(payment, source=source, intent=obj)
        else:
            apply_snapshot(payment, source=source, charge=obj)
    return "applied"


def _payment_for(intent_id: str, intent: dict[str, Any] | None) -> Payment | None:
    if not intent_id:
        return None
    payment = Payment.objects.select_for_update().filter(intent_id=intent_id).first()
    if payment is not None or intent is None:
        return payment
    # Our authorize call may have created the intent without recording it yet (a crash, or the
    # webhook simply won the race): the reference we put in its metadata finds the payment.
    metadata = intent.get("metadata") or {}
    if metadata.get("namespace") != settings.PAYMENTS_IDEMPOTENCY_PREFIX or not metadata.get("reference"):
        return None
    return Payment.objects.select_for_update().filter(reference=metadata["reference"], intent_id__isnull=True).first()
