"""Return requests: only delivered units, within the window, never more than were bought."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from shop.core.models import OutboxEvent
from shop.fulfillment import services as fulfillment
from shop.orders import services as orders
from shop.orders.models import Order, ReturnPolicy
from tests.factories_lifecycle import make_customer, status
from tests.factories_orders import place_order


def delivered(order: orders.OrderInfo, days_ago: int = 1) -> orders.OrderInfo:
    """Skip the fulfillment of an order: it was delivered ``days_ago``."""
    Order.objects.filter(id=order.order_id).update(
        status="delivered", delivered_at=timezone.now() - timedelta(days=days_ago)
    )
    return orders.get_order(order.order_id)


def request_api(client, order_id: int, lines: list[dict], key: str | None = None, reason: str = ""):
    return client.post(
        f"/api/v1/orders/{order_id}/returns/",
        {"lines": lines, "reason": reason},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


@pytest.fixture
def customer(db, client):
    user = make_customer()
    client.force_login(user)
    return user


def nothing_written(order: orders.OrderInfo, events_before: int) -> bool:
    return not orders.returns_of(order.order_id) and OutboxEvent.objects.count() == events_before


def test_a_return_of_delivered_units_within_the_window_is_registered(customer, client):
    order = delivered(place_order(user_id=customer.id, lines=[(1, 1, 2), (2, 2, 1)]))
    line = order.lines[0]

    response = request_api(client, order.order_id, [{"line_id": line.line_id, "quantity": 1}], reason="Too big")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["currency"], body["reason"]) == (
        "requested",
        "106.00",
        "INR",
        "Too big",
    )
    assert body["lines"] == [{"line_id": line.line_id, "product_name": "Product 1", "quantity": 1}]
    assert body["label_url"] is None  # the label follows from fulfillment
    assert status(order) == "return_requested"
    event = OutboxEvent.objects.get(event_type="orders.ReturnRequested")
    assert event.payload["lines"][0]["quantity"] == 1


def test_a_return_outside_the_window_is_refused(customer, client):
    order = delivered(place_order(user_id=customer.id), days_ago=31)
    events = OutboxEvent.objects.count()

    response = request_api(client, order.order_id, [{"line_id": order.lines[0].line_id, "quantity": 1}])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "outside_window"
    assert "30 days after delivery" in response.json()["error"]["message"]
    assert status(order) == "delivered"
    assert nothing_written(order, events)


def test_staff_set_the_return_window_in_the_admin_table(customer, client):
    ReturnPolicy.objects.create(window_days=45)
    order = delivered(place_order(user_id=customer.id), days_ago=31)

    response = request_api(client, order.order_id, [{"line_id": order.lines[0].line_id, "quantity": 1}])

    assert response.status_code == 201


@pytest.mark.parametrize("state", ["placed", "payment_confirmed", "picked", "shipped", "cancelled"])
def test_units_not_delivered_cannot_be_returned(customer, client, state):
    order = place_order(user_id=customer.id)
    Order.objects.filter(id=order.order_id).update(status=state)
    events = OutboxEvent.objects.count()

    response = request_api(client, order.order_id, [{"line_id": order.lines[0].line_id, "quantity": 1}])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_delivered"
    assert status(order) == state
    assert nothing_written(order, events)


def test_more_units_than_were_bought_are_refused_naming_the_line(customer, client):
    order = delivered(place_order(user_id=customer.id, lines=[(1, 1, 2)]))
    line_id = order.lines[0].line_id
    events = OutboxEvent.objects.count()

    response = request_api(client, order.order_id, [{"line_id": line_id, "quantity": 3}])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_lines"
    assert error["fields"] == {f"lines.{line_id}": ["Only 2 unit(s) of this line can still be returned."]}
    assert nothing_written(order, events)


def test_a_line_of_another_order_is_refused(customer, client):
    order = delivered(place_order(user_id=customer.id))
    other = place_order(user_id=customer.id)

    response = request_api(client, order.order_id, [{"line_id": other.lines[0].line_id, "quantity": 1}])

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        f"lines.{other.lines[0].line_id}": ["This line is not part of the order."]
    }


@pytest.mark.parametrize(
    "lines",
    [[], [{"line_id": 1, "quantity": 0}], [{"line_id": 1, "quantity": -2}], [{"line_id": "x", "quantity": 1}], "x"],
)
def test_malformed_return_requests_are_400s(customer, client, lines):
    order = delivered(place_order(user_id=customer.id))
    response = request_api(client, order.order_id, lines)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert status(order) == "delivered"


def test_only_one_return_can_be_open_at_a_time(customer, client):
    order = delivered(place_order(user_id=customer.id, lines=[(1, 1, 2)]))
    line_id = order.lines[0].line_id
    assert request_api(client, order.order_id, [{"line_id": line_id, "quantity": 1}]).status_code == 201

    second = request_api(client, order.order_id, [{"line_id": line_id, "quantity": 1}])

    assert second.status_code == 400
    assert second.json()["error"]["code"] == "return_open"


def test_the_return_api_replays_a_retried_request(customer, client):
    order = delivered(place_order(user_id=customer.id))
    lines = [{"line_id": order.lines[0].line_id, "quantity": 1}]
    key = str(uuid.uuid4())

    first = request_api(client, order.order_id, lines, key)
    again = request_api(client, order.order_id, lines, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert len(orders.returns_of(order.order_id)) == 1


def test_a_rejected_return_frees_its_units_and_cancels_its_label(lifecycle, client):
    customer = make_customer()
    client.force_login(customer)
    order = delivered(place_order(user_id=customer.id))
    lines = [{"line_id": order.lines[0].line_id, "quantity": 1}]
    return_id = request_api(client, order.order_id, lines).json()["id"]
    assert fulfillment.return_parcel(return_id).status == "label_created"

    orders.reject_return(return_id, actor="staff:1", reason="never sent")

    assert status(order) == "delivered"
    assert orders.get_return(return_id).status == "rejected"
    assert fulfillment.return_parcel(return_id).status == "cancelled"
    assert orders.returnable_quantities(order.order_id) == {order.lines[0].line_id: 1}
    with pytest.raises(orders.InvalidTransition):
        orders.return_received(return_id, actor="system")


def test_someone_elses_order_cannot_be_returned(customer, client):
    order = delivered(place_order(user_id=customer.id + 1000))
    response = request_api(client, order.order_id, [{"line_id": order.lines[0].line_id, "quantity": 1}])
    assert response.status_code == 404
