"""From a placed order to refunded, with the simulated warehouse and carrier and a real
authorization through the payments emulator; payment and stock checked at every step."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core import mail

from shop.analytics import services as analytics
from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_warehouse
from shop.notifications.models import Notification
from shop.orders import services as orders
from shop.orders import stock
from tests.factories_lifecycle import (
    amounts,
    assert_events_all_handled,
    checkout,
    deliver,
    make_customer,
    status,
    stock_up,
)


def test_an_order_from_two_warehouses_goes_from_placed_to_refunded(lifecycle, client):
    customer = make_customer()
    stock_up(101, warehouse_id=1, quantity=10)
    stock_up(202, warehouse_id=2, quantity=5)

    # Placed (checkout: hold committed, card authorized); payment confirmed by the OrderCreated consumer.
    order = checkout(user_id=customer.id, lines=[(101, 2), (202, 1)], email=customer.email)
    total = Decimal("368.00")  # 3 x 100 + 50 shipping + 18 tax
    assert order.grand_total == total
    assert status(order) == "payment_confirmed"
    assert amounts(order) == (total, 0, 0)
    assert stock.on_hand([101, 202]) == {101: 8, 202: 4}

    # One shipment per warehouse, each with its share of the total, sent to its warehouse.
    first, second = fulfillment.shipments_for_order(order.order_id)
    assert (first.warehouse_id, second.warehouse_id) == (1, 2)
    assert first.amount.amount + second.amount.amount == total
    assert (first.status, second.status) == ("picking", "picking")

    # Warehouse 1 picks: the order is picked (no cancelling any more); nothing is charged yet.
    assert simulated_warehouse.perform(first.reference, "pick")
    assert status(order) == "picked"
    assert orders.allowed_actions(orders.get_order(order.order_id), f"customer:{customer.id}") == []
    assert simulated_warehouse.perform(first.reference, "pack")
    assert amounts(order) == (total, 0, 0)

    # Parcel 1 ships: its share is captured, the rest stays authorized.
    assert simulated_warehouse.perform(first.reference, "handover")
    first = fulfillment.get_shipment(first.shipment_id)
    assert first.status == "shipped"
    assert first.tracking_number.startswith("1Z")
    assert amounts(order) == (total, first.amount.amount, 0)
    assert status(order) == "picked"  # still waiting for parcel 2

    # Parcel 2 ships: the final capture; the order is shipped.
    for step in ("pick", "pack", "handover"):
        assert simulated_warehouse.perform(second.reference, step)
    second = fulfillment.get_shipment(second.shipment_id)
    assert amounts(order) == (total, total, 0)
    assert status(order) == "shipped"
    assert stock.on_hand([101, 202]) == {101: 8, 202: 4}

    # The carrier's signed webhooks: delivered once both parcels are.
    deliver(first)
    assert status(order) == "shipped"
    deliver(second)
    assert status(order) == "delivered"
    assert [e.code for e in fulfillment.get_shipment(first.shipment_id).events] == [
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]

    # The customer returns one unit of SKU 101 through the API and gets a label.
    client.force_login(customer)
    line_101 = next(line for line in order.lines if line.sku_id == 101)
    response = client.post(
        f"/api/v1/orders/{order.order_id}/returns/",
        {"lines": [{"line_id": line_101.line_id, "quantity": 1}], "reason": "Changed my mind"},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.content
    return_id = response.json()["id"]
    assert response.json()["amount"] == "106.00"  # 100 + its share of the tax
    assert status(order) == "return_requested"
    label = client.get(f"/api/v1/orders/{order.order_id}/returns/{return_id}/label")
    assert label.status_code == 200
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")
    assert amounts(order) == (total, total, 0)

    # The warehouse receives the parcel: the refund saga refunds, restocks and closes.
    assert simulated_warehouse.perform(f"RET-{return_id}", "receive_return")
    assert status(order) == "refunded"
    assert amounts(order) == (total, total, Decimal("106.00"))
    assert stock.on_hand([101, 202]) == {101: 9, 202: 4}
    assert orders.get_return(return_id).status == "refunded"

    # Every step was recorded, published and consumed; each email went once.
    history = [(c.from_status, c.to_status) for c in orders.order_history(order.order_id)]
    assert history == [
        ("", "placed"),
        ("placed", "payment_confirmed"),
        ("payment_confirmed", "picked"),
        ("picked", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "return_requested"),
        ("return_requested", "returned"),
        ("returned", "refunded"),
    ]
    kinds = sorted(Notification.objects.filter(order_id=order.order_id).values_list("kind", "status"))
    assert kinds == [
        ("delivery", "sent"),
        ("order_confirmation", "sent"),
        ("refund", "sent"),
        ("return_label", "sent"),
        ("shipping", "sent"),
        ("shipping", "sent"),
    ]
    assert len(mail.outbox) == 6
    counts = analytics.transition_counts(orders.get_order(order.order_id).placed_at.date())
    assert counts[("returned", "refunded")] == 1
    assert_events_all_handled()
