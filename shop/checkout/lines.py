"""The lines a checkout buys: a snapshot of the cart, and its checks against today's catalog.

``start_checkout`` checks them before accepting the order (a clear 4xx at once) and the
saga's first step checks them again (prices may change in between). One set of rules,
with messages that name the product, for the API and the page alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shop.cart.services import CartItem
from shop.catalog.services import SkuInfo
from shop.checkout.pricing import PricedLine
from shop.core.money import Money
from shop.inventory.services import Shortage

Line = dict[str, Any]  # one snapshot line, stored in Checkout.lines (JSON)


class LineProblem(Exception):
    """A line cannot be bought as it is: ``code`` is stable, ``message`` names the product."""

    def __init__(self, code: str, message: str, sku_ids: list[int]) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.sku_ids = sku_ids


def money_text(amount: Decimal | str, currency: str) -> str:
    """How the store writes a price: ``INR 1,299.00`` (``Money.display``, as pages and emails do)."""
    return Money.of(amount, currency).display()


def snapshot(items: list[CartItem], skus: dict[int, SkuInfo]) -> list[Line]:
    """The cart's lines as the checkout keeps them: the price seen, and what the order
    record needs later (names, code, variant) and shipping needs (weight)."""
    lines = []
    for item in items:
        sku = skus.get(item.sku_id)
        lines.append(
            {
                "sku_id": item.sku_id,
                "product_id": item.product_id,
                "product_name": sku.product_name if sku else f"Item {item.sku_id}",
                "sku_code": sku.code if sku else "",
                "variant": item.variant,
                "quantity": item.quantity,
                "unit_price": str(item.price_when_added),
                "currency": item.currency,
                "weight_grams": sku.weight_grams if sku else 0,
            }
        )
    return lines


def check_sellable(lines: list[Line], skus: dict[int, SkuInfo]) -> None:
    """Every line still sold, at the price the customer saw; else :class:`LineProblem`."""
    for line in lines:
        sku = skus.get(line["sku_id"])
        if sku is None:
            raise LineProblem(
                "unknown_sku",
                f"{line['product_name']} is no longer available. Please remove it from your cart.",
                [line["sku_id"]],
            )
        if not sku.is_sellable:
            raise LineProblem(
                "unavailable_sku",
                f"{sku.product_name} is no longer sold. Please remove it from your cart.",
                [line["sku_id"]],
            )
    changed = [(line, skus[line["sku_id"]]) for line in lines]
    changed = [(line, sku) for line, sku in changed if (sku.price, sku.currency) != _seen(line)]
    if changed:
        changes = "; ".join(
            f"{sku.product_name} from {money_text(line['unit_price'], line['currency'])} "
            f"to {money_text(sku.price, sku.currency)}"
            for line, sku in changed
        )
        noun = "price" if len(changed) == 1 else "prices"
        raise LineProblem(
            "price_changed",
            f"The {noun} changed: {changes}. Your cart now shows the new {noun}; "
            "please review your order and place it again. You have not been charged.",
            [line["sku_id"] for line, _sku in changed],
        )


def _seen(line: Line) -> tuple[Decimal, str]:
    return Decimal(line["unit_price"]), line["currency"]


def check_stock(lines: list[Line], available: Mapping[int, int]) -> None:
    """Enough of every line available right now (the hold decides for good)."""
    for line in lines:
        units = available.get(line["sku_id"], 0)
        if units < line["quantity"]:
            raise LineProblem("out_of_stock", _short_message(line, units), [line["sku_id"]])


def shortage_message(lines: list[Line], shortages: tuple[Shortage, ...]) -> str:
    """Inventory's refusal, in the customer's words."""
    by_sku = {line["sku_id"]: line for line in lines}
    parts = [_short_message(by_sku[short.sku_id], short.available) for short in shortages if short.sku_id in by_sku]
    return " ".join(parts)


def _short_message(line: Line, available: int) -> str:
    name = line["product_name"]
    if available <= 0:
        return f"Sorry, {name} is out of stock."
    return f"Only {available} of {name} left in stock (you asked for {line['quantity']})."


def priced(lines: list[Line]) -> list[PricedLine]:
    return [
        PricedLine(
            sku_id=line["sku_id"],
            quantity=line["quantity"],
            unit_price=Money.of(line["unit_price"], line["currency"]),
            weight_grams=line["weight_grams"],
        )
        for line in lines
    ]
