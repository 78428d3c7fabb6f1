"""``{{ amount|money:currency }}``: one way to show an amount on every page and email."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import floatformat

from shop.core.money import Money, minor_units

register = template.Library()


@register.filter
def money(amount: Money | Decimal | str | None, currency: str = "") -> str:
    """Shows "INR 2,499.00": the currency code first, grouped digits, the currency's own minor units.

    Takes a ``Money`` or an amount and its currency. An amount that is missing or not a number
    shows as an empty string rather than breaking the page."""
    if isinstance(amount, Money):
        amount, currency = amount.amount, amount.currency
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return ""
    return f"{currency} {floatformat(value, f'{minor_units(currency)}g')}"
