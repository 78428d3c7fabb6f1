"""Cancelling: allowed until the pick; it voids the authorization and puts the stock back."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shop.core.models import IdempotentRequest, OutboxEvent
from shop.core.tasks import prune_idempotency_keys
from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_warehouse
from shop.orders import services as orders
from shop.orders import stock
from shop.orders.models import OrderStatusChange
from tests.factories_lifecycle import (
    amounts,
    assert_events_all_handled,
    checkout,
    make_customer,
    payment,
    status,
    stock_up,
)
from tests.factories_orders import place_order


def cancel_api(client, order_id: int, key: str | None = None, reason: str = "") -> object:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"/api/v1/orders/{order_id}/cancel/", {"reason": reason}, content_type="application/json", headers=headers
    )


def test_cancelling_a_confirmed_order_voids_the_payment_and_restocks_committed_units(lifecycle, client):
    customer = make_customer()
    stock_up(7, warehouse_id=1, quantity=3)
    order = checkout(user_id=customer.id, lines=[(7, 2)])
    assert status(order) == "payment_confirmed"
    assert stock.on_hand([7]) == {7: 1}
    client.force_login(customer)

    response = cancel_api(client, order.order_id, str(uuid.uuid4()), "Found it cheaper")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["actions"]["cancel"] is False
    assert status(order) == "cancelled"
    assert payment(order).status == "voided"
    assert amounts(order)[1:] == (0, 0)
    assert stock.on_hand([7]) == {7: 3}
    assert [s.status for s in fulfillment.shipments_for_order(order.order_id)] == ["cancelled"]
    change = OrderStatusChange.objects.filter(order_id=order.order_id, to_status="cancelled").get()
    assert (change.actor, change.reason) == (f"customer:{customer.id}", "Found it cheaper")
    assert_events_all_handled()


def test_a_cancelled_order_whose_hold_was_not_committed_yet_releases_the_hold(lifecycle):
    stock_up(8, warehouse_id=1, quantity=4)
    checkout_id = str(uuid.uuid4())
    assert stock.inventory.reserve(stock.hold_reference(checkout_id), [stock.Line(8, 3)]).ok
    order = place_order(lines=[(8, 8, 3)], checkout_id=checkout_id, warehouses={8: 1})
    assert stock.available([8]) == {8: 1}

    orders.cancel_order(order.order_id, actor="staff:1", reason="fraud check")

    assert stock.available([8]) == {8: 4}
    assert stock.on_hand([8]) == {8: 4}


def test_cancel_after_the_pick_is_refused_with_a_clear_error_and_nothing_changes(lifecycle, client):
    customer = make_customer()
    stock_up(7, warehouse_id=1, quantity=3)
    order = checkout(user_id=customer.id, lines=[(7, 1)])
    (shipment,) = fulfillment.shipments_for_order(order.order_id)
    assert simulated_warehouse.perform(shipment.reference, "pick")
    events = OutboxEvent.objects.count()
    client.force_login(customer)

    response = cancel_api(client, order.order_id, str(uuid.uuid4()))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_late_to_cancel"
    assert "can no longer be cancelled" in response.json()["error"]["message"]
    assert status(order) == "picked"
    assert payment(order).status == "authorized"
    assert OutboxEvent.objects.count() == events


def test_the_cancel_api_needs_an_idempotency_key_and_replays_the_first_answer(lifecycle, client):
    customer = make_customer()
    order = place_order(user_id=customer.id)
    client.force_login(customer)

    missing = cancel_api(client, order.order_id)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    assert status(order) == "placed"

    key = str(uuid.uuid4())
    first = cancel_api(client, order.order_id, key)
    again = cancel_api(client, order.order_id, key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == ("false", "true")
    assert OrderStatusChange.objects.filter(order_id=order.order_id, to_status="cancelled").count() == 1

    other_request = cancel_api(client, order.order_id, key, reason="something else")
    assert other_request.status_code == 422
    assert other_request.json()["error"]["code"] == "idempotency_key_reused"

    new_key = cancel_api(client, order.order_id, str(uuid.uuid4()))
    assert new_key.status_code == 409
    assert new_key.json()["error"]["code"] == "already_cancelled"


def test_someone_elses_order_cannot_be_cancelled(lifecycle, client):
    owner, stranger = make_customer(), make_customer()
    order = place_order(user_id=owner.id)
    client.force_login(stranger)

    response = cancel_api(client, order.order_id, str(uuid.uuid4()))

    assert response.status_code == 404
    assert status(order) == "placed"


def test_anonymous_cancel_is_refused(lifecycle, client):
    order = place_order(user_id=1)
    assert cancel_api(client, order.order_id, str(uuid.uuid4())).status_code == 401


@pytest.mark.parametrize("round_", range(4))
def test_cancel_racing_the_pick_has_exactly_one_winner(lifecycle, round_):
    """The customer cancels while the warehouse reports the pick: the order's row lock decides."""
    stock_up(9, warehouse_id=1, quantity=2)
    order = checkout(user_id=1, lines=[(9, 1)])
    (shipment,) = fulfillment.shipments_for_order(order.order_id)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(name: str, action) -> None:
        try:
            barrier.wait()
            action()
            outcomes[name] = "won"
        except (orders.InvalidTransition, fulfillment.WarehouseReportRefused) as refused:
            outcomes[name] = refused.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("cancel", lambda: orders.cancel_order(order.order_id, actor="customer:1"))),
        threading.Thread(target=run, args=("pick", lambda: fulfillment.warehouse_picked(shipment.reference))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert list(outcomes.values()).count("won") == 1, outcomes
    if outcomes["cancel"] == "won":
        # refused by the order's lock, or (if fulfillment already stopped the parcel) by the parcel's state
        assert outcomes["pick"] in ("order_cancelled", "not_picking")
        assert status(order) == "cancelled"
        assert fulfillment.get_shipment(shipment.shipment_id).status == "cancelled"
        assert payment(order).status == "voided"
        assert stock.on_hand([9]) == {9: 2}
    else:
        assert outcomes["cancel"] == "too_late_to_cancel"
        assert status(order) == "picked"
        assert fulfillment.get_shipment(shipment.shipment_id).status == "picked"
        assert payment(order).status == "authorized"
        assert stock.on_hand([9]) == {9: 1}
    assert_events_all_handled()


def test_old_idempotency_keys_are_forgotten(lifecycle, client):
    customer = make_customer()
    client.force_login(customer)
    order = place_order(user_id=customer.id)
    assert cancel_api(client, order.order_id, "old-key").status_code == 200
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=8))

    assert prune_idempotency_keys() == 1
    assert not IdempotentRequest.objects.exists()
