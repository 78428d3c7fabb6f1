"""Helpers for payments tests: unique references, the events a payment published, the processor's view."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shop.core.models import OutboxEvent
from shop.core.money import Money
from shop.payments import services
from shop.payments.models import PaymentOperation
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


def age_operations(reference: str, hours: int) -> None:
    """As if the payment's processor calls had been sent ``hours`` ago."""
    operations = PaymentOperation.objects.filter(payment__reference=reference)
    operations.update(created_at=timezone.now() - timedelta(hours=hours))


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def crash_once_when_recording(monkeypatch):
    """Make the next outcome recording die after the processor call, like a killed worker."""
    real = services._record
    calls = {"n": 0}

    def record(op_id, outcome):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash
        return real(op_id, outcome)

    monkeypatch.setattr(services, "_record", record)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answer_3d_secure(url: str, result: str) -> str:
    """What the customer does on the issuer's (here: the emulator's) authentication page;
    returns where the page sends the browser back to (empty without a return_url)."""
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["client_secret"][0]
    body = urllib.parse.urlencode({"client_secret": secret, "result": result}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (the emulator, on loopback)
    try:
        with opener.open(request, timeout=5) as response:
            return "" if response.status == 200 else f"unexpected {response.status}"
    except urllib.error.HTTPError as redirect:
        return redirect.headers["Location"] if redirect.code == 303 else f"unexpected {redirect.code}"
