"""Helpers for checkout tests: pricing tables, a customer with a cart, placing an order, and
what inventory and payments say afterwards."""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps

from shop.accounts.models import User
from shop.cart import services as cart
from shop.catalog.models import Sku
from shop.checkout import services
from shop.checkout.models import Checkout
from shop.inventory import services as inventory
from shop.payments import services as payments
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku

BENGALURU = {
    "name": "Asha Rao",
    "line1": "1 MG Road",
    "city": "Bengaluru",
    "region": "KA",
    "postcode": "560001",
    "country": "IN",
    "phone": "+91 80 1234 5678",
}
VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
NO_FUNDS = "pm_card_chargeDeclinedInsufficientFunds"


def default_pricing() -> None:
    """The store's default zones, rates and GST (the data migration's rows; idempotent).
    Transactional tests flush tables, so they need them back."""
    migration = importlib.import_module("shop.checkout.migrations.0002_default_pricing")
    migration.add_defaults(apps, None)


@dataclass
class Shopper:
    user: User
    skus: list[Sku]

    @property
    def owner(self) -> cart.CartOwner:
        return cart.CartOwner(user_id=self.user.id)


def shopper(*items: tuple[Sku, int], user: User | None = None) -> Shopper:
    """A customer whose cart holds ``items`` as (sku, quantity)."""
    user = user or UserFactory()
    for sku, quantity in items:
        cart.add_item(cart.CartOwner(user_id=user.id), sku.id, quantity)
    return Shopper(user, [sku for sku, _ in items])


def shopper_with(price: str = "600.00", quantity: int = 1, stock: int = 20) -> Shopper:
    sku = sellable_sku(price=price, stock=stock)
    return shopper((sku, quantity))


def order_body(payment_method: str = VISA, option: str = "standard", **changes: Any) -> dict[str, Any]:
    return {"shipping_address": dict(BENGALURU), "shipping_option": option, "payment_method": payment_method} | changes


def place(who: Shopper, payment_method: str = VISA, key: str | None = None, **changes: Any) -> services.CheckoutInfo:
    body = order_body(payment_method, **changes)
    info, _created = services.start_checkout(who.user.id, key or str(uuid.uuid4()), body)
    return info


def checkout_row(info: services.CheckoutInfo) -> Checkout:
    return Checkout.objects.get(id=info.checkout_id)


def reference(checkout_id: str) -> str:
    return f"checkout-{checkout_id}"


def hold_of(checkout_id: str) -> str:
    """The hold's status: ``not_found``, ``held``, ``committed``, ``released``, ``expired``."""
    return inventory.hold_status(reference(checkout_id)).status


def payment_of(checkout_id: str) -> str | None:
    """The payment's status, or None if no payment was ever started."""
    try:
        return payments.get_payment(reference(checkout_id)).status
    except payments.PaymentNotFound:
        return None


def available(sku: Sku) -> int:
    return inventory.stock_of([sku.id])[sku.id].available


def on_hand(sku: Sku) -> int:
    return inventory.stock_of([sku.id])[sku.id].on_hand


def cart_lines(who: Shopper) -> dict[int, tuple[int, Decimal]]:
    """sku_id → (quantity, price seen) of the shopper's cart."""
    return {item.sku_id: (item.quantity, item.price_when_added) for item in cart.get_cart(who.owner).items}
