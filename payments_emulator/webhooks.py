"""Events and their signed webhook deliveries, as Stripe sends them.

Each event is stored, then delivered to every enabled endpoint that listens for its type by
a background thread: ``POST`` with ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint's whsec_ secret>``, which is what
``stripe.Webhook.construct_event`` verifies. A non-2xx answer or a network error is retried
with exponential backoff; deliveries are rows in the store, so a restart resumes them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from payments_emulator.store import Store, new_id

log = logging.getLogger("payments_emulator.webhooks")

API_VERSION = "2026-10-28.endive"
MAX_ATTEMPTS = 8
MAX_BACKOFF = 60.0


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def public(obj: Any) -> Any:
    """An object as the API shows it: the emulator's private ``_`` fields removed."""
    if isinstance(obj, dict):
        return {key: public(value) for key, value in obj.items() if not key.startswith("_")}
    if isinstance(obj, list):
        return [public(item) for item in obj]
    return obj


def record_event(
    store: Store,
    event_type: str,
    obj: dict[str, Any],
    *,
    request_id: str | None,
    idempotency_key: str | None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store an event carrying a snapshot of ``obj`` and queue its deliveries (same transaction)."""
    data: dict[str, Any] = {"object": public(obj)}
    if previous:
        data["previous_attributes"] = previous
    event = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
    endpoints = [
        endpoint
        for endpoint in store.of_type("webhook_endpoint")
        if endpoint["status"] == "enabled"
        and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
    ]
    event["pending_webhooks"] = len(endpoints)
    store.put(event)
    for endpoint in endpoints:
        store.queue_delivery(event["id"], endpoint["id"])
    return event


class Deliverer(threading.Thread):
    """Sends due deliveries; woken right after a request that queued some."""

    def __init__(self, store: Store, timeout: float = 10.0) -> None:
        super().__init__(name="webhook-deliverer", daemon=True)
        self.store = store
        self.timeout = timeout
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(0.5)
            self.wake.clear()
            try:
                self.deliver_due()
            except Exception:  # keep delivering whatever one bad row does
                log.exception("webhook delivery pass failed")

    def deliver_due(self) -> None:
        while True:
            with self.store.transaction() as store:
                due = store.due_deliveries()
                batch = [
                    (delivery_id, store.find(event_id, "event"), store.find(endpoint_id, "webhook_endpoint"), attempts)
                    for delivery_id, event_id, endpoint_id, attempts in due
                ]
            if not batch:
                return
            for delivery_id, event, endpoint, attempts in batch:
                self._attempt(delivery_id, event, endpoint, attempts)

    def _attempt(
        self, delivery_id: int, event: dict[str, Any] | None, endpoint: dict[str, Any] | None, attempts: int
    ) -> None:
        if event is None or endpoint is None or endpoint["status"] != "enabled":
            with self.store.transaction() as store:
                store.record_attempt(delivery_id, delivered=False, status=None, error="endpoint gone", retry_at=None)
            return
        with self.store.transaction() as store:
            event["pending_webhooks"] = store.pending_deliveries(event["id"])
        payload = json.dumps(event, indent=2)
        request = urllib.request.Request(  # noqa: S310 (the URL is the developer's configured endpoint)
            endpoint["url"],
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, endpoint["_secret"]),
            },
        )
        status: int | None = None
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as http_error:
            status, error = http_error.code, http_error.read(500).decode(errors="replace")
        except (OSError, ValueError) as network_error:
            error = str(network_error)
        delivered = status is not None and 200 <= status < 300
        retry_at = None
        if not delivered and attempts + 1 < MAX_ATTEMPTS:
            retry_at = time.time() + min(MAX_BACKOFF, 0.5 * 2**attempts)
        if not delivered:
            log.warning("webhook %s to %s failed (%s %s)", event["type"], endpoint["url"], status, error[:200])
        with self.store.transaction() as store:
            store.record_attempt(delivery_id, delivered=delivered, status=status, error=error, retry_at=retry_at)
