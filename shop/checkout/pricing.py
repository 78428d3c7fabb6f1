"""Pricing a checkout: subtotal, shipping for the option and destination, tax.

The rules are rows staff edit in the admin (``ShippingZone``, ``ShippingRate``,
``TaxRate``); this module only applies them. All amounts are ``Money``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from shop.checkout.models import ShippingRate, ShippingZone, TaxRate
from shop.core.money import Money

# Postcode formats of the countries we ship to; a country not listed only needs a non-empty postcode.
POSTCODE_FORMATS = {
    "IN": re.compile(r"^[1-9][0-9]{5}$"),
    "US": re.compile(r"^[0-9]{5}(-[0-9]{4})?$"),
    "GB": re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"),
}
ADDRESS_LIMITS = {"name": 100, "line1": 200, "line2": 200, "city": 100, "region": 50, "postcode": 12, "phone": 20}
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postcode", "country")


class PricingError(Exception):
    """The checkout cannot be priced as asked (e.g. no shipping to that zone)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in self.__dataclass_fields__}


@dataclass(frozen=True)
class PricedLine:
    sku_id: int
    quantity: int
    unit_price: Money
    weight_grams: int


@dataclass(frozen=True)
class Quote:
    option: str
    zone: str
    subtotal: Money
    shipping: Money
    tax: Money
    total: Money
    tax_name: str
    min_days: int
    max_days: int


def clean_address(data: Any) -> Address:
    """A validated, normalized address, or ValidationError naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationError({"shipping_address": ["Must be an object with name, line1, city, postcode, country."]})
    values = {key: str(data.get(key) or "").strip() for key in (*ADDRESS_LIMITS, "country")}
    values["country"] = values["country"].upper()
    values["postcode"] = values["postcode"].upper()
    errors: dict[str, list[str]] = {}
    for key in REQUIRED_ADDRESS_FIELDS:
        if not values[key]:
            errors[key] = ["This field is required."]
    for key, limit in ADDRESS_LIMITS.items():
        if len(values[key]) > limit:
            errors[key] = [f"At most {limit} characters."]
    if values["country"] and not re.fullmatch(r"[A-Z]{2}", values["country"]):
        errors["country"] = ["Use the two-letter country code, e.g. IN."]
    pattern = POSTCODE_FORMATS.get(values["country"])
    if values["postcode"] and pattern and not pattern.fullmatch(values["postcode"]):
        errors["postcode"] = [f"Not a valid postcode for {values['country']}."]
    if errors:
        raise ValidationError(errors)
    return Address(**values)


def zone_for(address: Address) -> ShippingZone:
    """The zone whose longest postcode prefix matches (a whole-country zone matches everything)."""
    best: tuple[int, ShippingZone] | None = None
    for zone in ShippingZone.objects.filter(country=address.country):
        prefixes = zone.postcode_prefixes or [""]
        for prefix in prefixes:
            if address.postcode.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), zone)
    if best is None:
        raise PricingError("no_shipping", f"Sorry, we don't ship to {address.country} {address.postcode} yet.")
    return best[1]


def _tax_rate(address: Address) -> TaxRate | None:
    rates = {
        rate.region: rate for rate in TaxRate.objects.filter(country=address.country, region__in=["", address.region])
    }
    return rates.get(address.region) or rates.get("")


def _shipping_fee(rate: ShippingRate, subtotal: Money, weight_grams: int) -> Money:
    if rate.free_over is not None and subtotal.amount >= rate.free_over:
        return Money.zero(rate.currency)
    kilograms = max(1, math.ceil(weight_grams / 1000))
    return Money.of(rate.base_fee + rate.per_kg_fee * kilograms, rate.currency)


def quote_options(lines: list[PricedLine], address: Address) -> list[Quote]:
    """Every shipping option available to the address, priced (cheapest first)."""
    if not lines:
        raise PricingError("empty_cart", "Your cart is empty.")
    currency = lines[0].unit_price.currency
    zone = zone_for(address)
    subtotal = sum((line.unit_price * line.quantity for line in lines), Money.zero(currency))
    weight = sum(line.weight_grams * line.quantity for line in lines)
    tax_rate = _tax_rate(address)
    quotes = []
    for rate in ShippingRate.objects.filter(zone=zone, currency=currency, is_active=True):
        shipping = _shipping_fee(rate, subtotal, weight)
        taxable = subtotal + shipping if tax_rate and tax_rate.applies_to_shipping else subtotal
        tax = Money.of(taxable.amount * (tax_rate.rate if tax_rate else Decimal(0)), currency)
        quotes.append(
            Quote(
                option=rate.option,
                zone=zone.code,
                subtotal=subtotal,
                shipping=shipping,
                tax=tax,
                total=subtotal + shipping + tax,
                tax_name=tax_rate.name if tax_rate else "",
                min_days=rate.min_days,
                max_days=rate.max_days,
            )
        )
    return sorted(quotes, key=lambda q: (q.total.amount, q.option))


def quote(lines: list[PricedLine], address: Address, option: str) -> Quote:
    """The price of the checkout with ``option``, or PricingError saying why not."""
    for candidate in quote_options(lines, address):
        if candidate.option == option:
            return candidate
    valid = ", ".join(ShippingRate.Option.values)
    raise PricingError(
        "unknown_shipping_option", f"Shipping option {option!r} is not available here (options: {valid})."
    )
