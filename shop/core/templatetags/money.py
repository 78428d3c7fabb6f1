"""``{{ amount|money:currency }}``: one way to show an amount on every page and email."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from shop.core.money import Money

register = template.Library()


@register.filter
def money(amount: Money | Decimal | str | None, currency: str = "") -> str:
    """Shows "INR 2,499.00": the currency code first, grouped digits, the currency's own minor units.

    Takes a ``Money`` or an amount and its currency (``Money.display`` does the formatting). An
    amount that is missing or not a number, or has no valid currency, shows as an empty string
    rather than breaking the page."""
    if isinstance(amount, Money):
        return amount.display()
    if amount is None or amount == "":
        return ""
    try:
        return Money.of(amount, currency).display()
    except (InvalidOperation, ValueError):
        return ""
