"""Carrier tracking webhooks: verified by the carrier's adapter, applied once.

Forged, altered, unsigned or stale (older than ``FULFILLMENT_WEBHOOK_TOLERANCE``)
bodies get a 400 and change nothing. A replay of an event already applied (same
carrier event id) gets a 409 and changes nothing. A verified event about a parcel
that is not ours is acknowledged (200, ``ignored``) so the carrier stops sending it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shop.core.api import error_body
from shop.fulfillment import services
from shop.fulfillment.carriers import WebhookRejected, carrier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    body: dict[str, Any]


def receive(carrier_code: str, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    try:
        adapter = carrier(carrier_code)
    except LookupError:
        return WebhookOutcome(404, error_body("unknown_carrier", f"No carrier {carrier_code!r}."))
    try:
        updates = adapter.parse_webhook(body, headers)
    except WebhookRejected as rejected:
        log.warning("rejected %s webhook: %s (%s)", carrier_code, rejected.code, rejected.message)
        return WebhookOutcome(rejected.status, error_body(rejected.code, rejected.message))
    outcomes = [services.apply_tracking(carrier_code, update) for update in updates]
    if outcomes and all(outcome == "duplicate" for outcome in outcomes):
        return WebhookOutcome(409, error_body("duplicate_event", "This event was already received."))
    summary = "ignored" if all(outcome == "unknown" for outcome in outcomes) else "applied"
    return WebhookOutcome(200, {"received": True, "outcome": summary})
