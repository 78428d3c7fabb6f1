"""The built-in simulated carrier ("Simex"), so parcels travel end to end in development.

- Rate quotes for a ground and an express service, priced by weight.
- Labels are real 4x6 PDFs with a Code 128 barcode (``labels.py``).
- Tracking numbers have the UPS "1Z" format: ``1Z`` + 6-character shipper number +
  2-digit service code + 7-digit package number + a mod-10 check digit.
- After handover it sends tracking events (in transit, out for delivery, delivered)
  ``FULFILLMENT_SIM_TRANSIT_SECONDS`` apart, as webhooks signed like Stripe's:
  ``Simex-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. They go
  over HTTP to ``FULFILLMENT_SIM_WEBHOOK_URL`` (``make run`` sets it to the store), or,
  without a URL, straight into the same receiving function the endpoint calls, signature
  check included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shop.core.money import Money
from shop.fulfillment.carriers import Address, Label, Parcel, RateQuote, TrackingUpdate, WebhookRejected
from shop.fulfillment.labels import render_label

CODE = "simex"
SIGNATURE_HEADER = "Simex-Signature"
SERVICES = {
    # level: (service name, UPS-style service code, base fee, fee per started kg, days)
    "standard": ("SIMEX_GROUND", "03", Decimal("60"), Decimal("20"), (3, 6)),
    "express": ("SIMEX_EXPRESS", "01", Decimal("150"), Decimal("45"), (1, 2)),
}
RETURN_SERVICE_CODE = "90"
JOURNEY = (
    ("in_transit", "Departed the origin facility", "Bhiwandi hub"),
    ("out_for_delivery", "Out for delivery", "Local delivery station"),
    ("delivered", "Delivered", "Front door"),
)
_REFERENCE_NUMBER = re.compile(r"^[A-Z]+-(\d+)$")


def check_digit(body: str) -> str:
    """UPS's mod-10 check digit over the 15 characters after ``1Z`` (letters count (ord-63) mod 10)."""
    total = 0
    for position, char in enumerate(body, start=1):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * 2 if position % 2 == 0 else value
    return str((10 - total % 10) % 10)


def tracking_number_for(reference: str, service_code: str) -> str:
    match = _REFERENCE_NUMBER.match(reference)
    package = int(match.group(1)) % 10**7 if match else secrets.randbelow(10**7)
    body = f"{settings.FULFILLMENT_SIM_SHIPPER_NUMBER}{service_code}{package:07d}"
    return f"1Z{body}{check_digit(body)}"


def is_valid_tracking_number(number: str) -> bool:
    return bool(re.fullmatch(r"1Z[0-9A-Z]{16}", number)) and check_digit(number[2:17]) == number[17]


class SimulatedCarrier:
    code = CODE
    name = "Simex"

    def quote(self, ship_from: Address, ship_to: Address, parcel: Parcel) -> list[RateQuote]:
        kilos = max(1, -(-parcel.weight_grams // 1000))  # every started kilogram
        currency = settings.DEFAULT_CURRENCY
        return [
            RateQuote(CODE, name, level, Money.of(base + per_kg * kilos, currency), days[0], days[1])
            for level, (name, _code, base, per_kg, days) in SERVICES.items()
        ]

    def create_label(
        self, quote: RateQuote, ship_from: Address, ship_to: Address, parcel: Parcel, reference: str
    ) -> Label:
        returning = reference.startswith("RET-")
        service_code = RETURN_SERVICE_CODE if returning else SERVICES[quote.level][1]
        number = tracking_number_for(reference, service_code)
        pdf = render_label(
            carrier_name=self.name,
            service=quote.service + (" RETURN" if returning else ""),
            tracking_number=number,
            ship_from=ship_from,
            ship_to=ship_to,
            weight_grams=parcel.weight_grams,
            reference=reference,
            created_at=timezone.now(),
            returning=returning,
        )
        return Label(CODE, quote.service, number, pdf, quote.amount)

    def tracking_url(self, tracking_number: str) -> str:
        return f"{settings.SITE_URL}/track/{tracking_number}/"

    def start_tracking(self, tracking_number: str, *, returning: bool = False) -> None:
        """Schedule the parcel's journey (outbound parcels only; the warehouse reports returns)."""
        from shop.fulfillment.tasks import sim_carrier_event

        if returning or not settings.FULFILLMENT_SIMULATION_AUTOPLAY:
            return
        step = settings.FULFILLMENT_SIM_TRANSIT_SECONDS
        for index, (code, _description, _where) in enumerate(JOURNEY, start=1):
            sim_carrier_event.apply_async((tracking_number, code), countdown=step * index)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]:
        verify_signature(body, headers.get(SIGNATURE_HEADER, ""))
        try:
            event = json.loads(body)
            data = event["data"]
            occurred_at = parse_datetime(data["occurred_at"])
            if event.get("type") != "tracking.updated" or occurred_at is None:
                raise ValueError("not a tracking event")
            return [
                TrackingUpdate(
                    event_id=str(event["id"])[:100],
                    tracking_number=str(data["tracking_number"])[:40],
                    code=str(data["status"]),
                    description=str(data.get("description", ""))[:300],
                    location=str(data.get("location", ""))[:200],
                    occurred_at=occurred_at,
                )
            ]
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookRejected(f"Not a tracking event: {error}", "invalid_payload") from error


def sign(body: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = settings.FULFILLMENT_SIM_WEBHOOK_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(body: bytes, header: str) -> None:
    """The signature must be ours and recent; an old one is a replay."""
    if not settings.FULFILLMENT_SIM_WEBHOOK_SECRET:
        raise WebhookRejected("No webhook secret is configured.", "not_configured", status=503)
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise WebhookRejected("Missing or malformed signature.", "invalid_signature") from None
    expected = sign(body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected("The signature does not match.", "invalid_signature")
    if abs(time.time() - timestamp) > settings.FULFILLMENT_WEBHOOK_TOLERANCE:
        raise WebhookRejected("The signature is too old: a replay.", "stale_signature")


def event_body(tracking_number: str, code: str, *, event_id: str | None = None) -> bytes:
    description, location = next((d, w) for c, d, w in JOURNEY if c == code)
    now = datetime.now(UTC)
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "type": "tracking.updated",
            "created": int(now.timestamp()),
            "data": {
                "tracking_number": tracking_number,
                "status": code,
                "description": description,
                "location": location,
                "occurred_at": now.isoformat(),
            },
        },
        separators=(",", ":"),
    ).encode()


def send_event(tracking_number: str, code: str) -> int:
    """Deliver one signed tracking event to the store; returns the HTTP status it got."""
    from shop.fulfillment.webhooks import receive

    body = event_body(tracking_number, code)
    headers = {SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"}
    url = settings.FULFILLMENT_SIM_WEBHOOK_URL
    if not url:
        return receive(CODE, body, headers).status
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (configured URL)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        if error.code == 409:  # we sent it before and it was applied
            return error.code
        raise
