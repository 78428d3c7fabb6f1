"""The carrier adapter interface, modelled on what FedEx, UPS and USPS offer alike.

All three APIs do the same four things, with their own names:

- ``quote``: FedEx Rate Quotes, UPS Rating ("Shop"), USPS Domestic Prices.
- ``create_label`` (tracking number + label PDF): FedEx Ship, UPS Shipping, USPS Labels.
- ``tracking_url``: fedex.com/fedextrack, ups.com/track, tools.usps.com TrackConfirmAction.
- ``parse_webhook``: FedEx tracking webhooks, UPS Track Alert, USPS tracking subscriptions.

Tracking codes are normalised to ``label_created``, ``in_transit``,
``out_for_delivery``, ``delivered`` and ``exception`` (FedEx ``IT/OD/DL/DE``, UPS
``I/O/D/X``, USPS event codes map onto them). A real adapter implements
:class:`CarrierAdapter` and is named in ``FULFILLMENT_CARRIERS``; the built-in one is
``shop.fulfillment.simulated_carrier``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from shop.core.money import Money

TRACKING_CODES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception")


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str = "IN"
    line2: str = ""
    region: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Address:
        return cls(
            name=str(data.get("name") or data.get("full_name") or ""),
            line1=str(data.get("line1") or ""),
            line2=str(data.get("line2") or ""),
            city=str(data.get("city") or ""),
            region=str(data.get("region") or data.get("state") or ""),
            postcode=str(data.get("postcode") or data.get("postal_code") or ""),
            country=str(data.get("country") or "IN"),
        )

    def lines(self) -> list[str]:
        locality = " ".join(part for part in (self.city, self.region, self.postcode) if part)
        return [part for part in (self.name, self.line1, self.line2, locality, self.country) if part]


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_cm: int = 30
    width_cm: int = 20
    height_cm: int = 15


@dataclass(frozen=True)
class RateQuote:
    carrier: str
    service: str  # the carrier's name for it, e.g. "FEDEX_GROUND", "UPS Next Day Air"
    level: str  # ours: "standard" or "express"
    amount: Money
    days_min: int
    days_max: int


@dataclass(frozen=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    pdf: bytes
    postage: Money


@dataclass(frozen=True)
class TrackingUpdate:
    event_id: str
    tracking_number: str
    code: str  # one of TRACKING_CODES
    description: str
    location: str
    occurred_at: datetime


class WebhookRejected(Exception):
    """A tracking webhook we must not believe: forged, altered, stale or replayed. ``status`` is the HTTP answer."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class CarrierAdapter(Protocol):
    code: str
    name: str

    def quote(self, ship_from: Address, ship_to: Address, parcel: Parcel) -> list[RateQuote]: ...

    def create_label(
        self, quote: RateQuote, ship_from: Address, ship_to: Address, parcel: Parcel, reference: str
    ) -> Label: ...

    def tracking_url(self, tracking_number: str) -> str: ...

    def start_tracking(self, tracking_number: str, *, returning: bool = False) -> None:
        """After handover: real carriers push updates on their own; the simulated one schedules them."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingUpdate]:
        """Verify and read a webhook, or raise :class:`WebhookRejected`."""
        ...


@cache
def _load(path: str) -> CarrierAdapter:
    return import_string(path)()


def carrier(code: str) -> CarrierAdapter:
    path = settings.FULFILLMENT_CARRIERS.get(code)
    if path is None:
        raise LookupError(f"No carrier {code!r} (FULFILLMENT_CARRIERS).")
    return _load(path)
