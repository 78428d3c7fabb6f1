"""Orders placed as the checkout places them: stock held and committed, the card authorized
for real through the payments emulator, then the order created in ``placed``.

Stock is the inventory domain's, read and moved through ``shop.orders.stock``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q

from shop.core.models import FailedDelivery, OutboxEvent
from shop.core.money import Money
from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_carrier, simulated_warehouse
from shop.inventory.models import Warehouse
from shop.orders import services as orders
from shop.orders import stock
from shop.payments import services as payments
from tests.factories_orders import place_order
from tests.factories_payments import new_reference
from tests.fixtures_payments import free_port

PRICE = Decimal("100.00")
SHIPPING, TAX = Decimal("50.00"), Decimal("18.00")


def make_customer(name: str | None = None, *, is_staff: bool = False):
    name = name or f"customer-{uuid.uuid4().hex[:8]}"
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
    if is_staff:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


def stock_up(sku_id: int, warehouse_id: int, quantity: int) -> None:
    """Receive units in warehouse ``warehouse_id`` (made on first use; lower ids rank first)."""
    Warehouse.objects.get_or_create(
        id=warehouse_id,
        defaults={
            "code": f"T{warehouse_id}",
            "name": f"Test warehouse {warehouse_id}",
            "zone": "west",
            "priority": warehouse_id,
        },
    )
    stock.inventory.receive(sku_id, warehouse_id, quantity, reason="test stock")


def checkout(
    *,
    user_id: int | None = None,
    lines: list[tuple[int, int]],
    card: str = "pm_card_visa",
    email: str = "buyer@example.com",
    shipping_method: str = "standard",
) -> orders.OrderInfo:
    """What the checkout saga does: hold the stock, authorize the total, create the order
    (``placed``), commit the hold. ``lines`` are (sku_id, quantity); the product id is the sku id."""
    checkout_id = str(uuid.uuid4())
    hold = stock.inventory.reserve(stock.hold_reference(checkout_id), [stock.Line(s, q) for s, q in lines])
    assert hold.ok, hold.message
    total = Money.of(sum(PRICE * q for _, q in lines) + SHIPPING + TAX, "INR")
    reference = new_reference("checkout")
    authorization = payments.authorize(reference, total, card, email)
    assert authorization.approved, authorization.message
    order = place_order(
        user_id=user_id,
        lines=[(sku, sku, quantity) for sku, quantity in lines],
        email=email,
        warehouses={line.sku_id: line.warehouse_id for line in hold.lines},
        payment_reference=reference,
        checkout_id=checkout_id,
        shipping_method=shipping_method,
    )
    assert stock.inventory.commit(stock.hold_reference(checkout_id)).ok
    return order


def payment(order: orders.OrderInfo) -> payments.PaymentInfo:
    return payments.get_payment(order.payment_reference)


def amounts(order: orders.OrderInfo) -> tuple[Decimal, Decimal, Decimal]:
    """(authorized, captured, refunded) of the order's payment."""
    info = payment(order)
    return info.authorized.amount, info.captured.amount, info.refunded.amount


def status(order: orders.OrderInfo) -> str:
    return orders.get_order(order.order_id).status


def ship_everything(order: orders.OrderInfo) -> list[fulfillment.ShipmentInfo]:
    """The simulated warehouse picks, packs and hands over every parcel of the order."""
    for shipment in fulfillment.shipments_for_order(order.order_id):
        for step in ("pick", "pack", "handover"):
            assert simulated_warehouse.perform(shipment.reference, step), (shipment.reference, step)
    return fulfillment.shipments_for_order(order.order_id)


def deliver(shipment: fulfillment.ShipmentInfo) -> None:
    """The simulated carrier's journey, as signed webhooks."""
    for code in ("in_transit", "out_for_delivery", "delivered"):
        assert simulated_carrier.send_event(shipment.tracking_number, code) == 200


def delivered_order(**kwargs: object) -> orders.OrderInfo:
    order = checkout(**kwargs)
    for shipment in ship_everything(order):
        deliver(shipment)
    assert status(order) == "delivered"
    return orders.get_order(order.order_id)


def assert_events_all_handled() -> None:
    """Nothing failed in a consumer and nothing waits in the outbox."""
    failures = list(FailedDelivery.objects.values_list("consumer", "error"))
    assert failures == [], failures
    assert not OutboxEvent.objects.filter(Q(relayed_at__isnull=True)).exists()


@contextmanager
def dead_processor(settings) -> Iterator[None]:
    """The payment processor cannot be reached (nothing listens on its port)."""
    saved = (settings.STRIPE_API_BASE, settings.STRIPE_MAX_NETWORK_RETRIES, settings.STRIPE_TIMEOUT)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES, settings.STRIPE_TIMEOUT = 0, 2
    try:
        yield
    finally:
        settings.STRIPE_API_BASE, settings.STRIPE_MAX_NETWORK_RETRIES, settings.STRIPE_TIMEOUT = saved
