"""Helpers for payments tests: unique references, the events a payment published, the processor's view."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shop.core.models import OutboxEvent
from shop.core.money import Money
from tests.fixtures_payments import EmulatorProcess


def new_reference(prefix: str = "test") -> str:
    """References are unique across the session: the emulator outlives each test's database."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def inr(amount: str | int) -> Money:
    return Money.of(Decimal(str(amount)), "INR")


def published(reference: str) -> list[tuple[str, dict]]:
    """(event type, payload) of every payments event about ``reference``, in publication order."""
    rows = OutboxEvent.objects.filter(event_type__startswith="payments.", payload__reference=reference).order_by("id")
    return [(row.event_type, row.payload) for row in rows]


def event_types(reference: str) -> list[str]:
    return [event_type for event_type, _ in published(reference)]


def intents_at_processor(emulator: EmulatorProcess, reference: str) -> list[dict]:
    """Every PaymentIntent the processor holds for ``reference`` (ours put it in the metadata)."""
    found = emulator.client().v1.payment_intents.search(
        params={"query": f"metadata['reference']:'{reference}'", "limit": 100}
    )
    return [intent.to_dict() for intent in found.data]
