"""The customer's order pages and the order detail API: history, timeline, tracking, cancel, return."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.fulfillment import services as fulfillment
from shop.orders import services as orders
from shop.orders.models import Order
from tests.factories_lifecycle import (
    checkout,
    deliver,
    delivered_order,
    make_customer,
    ship_everything,
    status,
    stock_up,
)
from tests.factories_orders import place_order


@pytest.fixture
def customer(db, client):
    user = make_customer()
    client.force_login(user)
    return user


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_the_order_pages_need_a_signed_in_customer(db, client):
    response = client.get("/accounts/orders/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_history_lists_the_customers_orders_newest_first_and_no_one_elses(customer, client):
    older = place_order(user_id=customer.id)
    newer = place_order(user_id=customer.id)
    someone_else = place_order(user_id=customer.id + 1)

    html = client.get("/accounts/orders/").content.decode()

    assert html.index(newer.number) < html.index(older.number)
    assert someone_else.number not in html
    assert "Placed" in html


def test_someone_elses_order_page_is_a_404(customer, client):
    order = place_order(user_id=customer.id + 1)
    assert client.get(f"/accounts/orders/{order.order_id}/").status_code == 404
    assert client.get("/accounts/orders/999999999/").status_code == 404


def test_the_detail_page_prints_the_shipping_address_in_postal_order(customer, client):
    order = place_order(user_id=customer.id)

    html = client.get(f"/accounts/orders/{order.order_id}/").content.decode()

    assert "<address>A Buyer<br>1 MG Road<br>Bengaluru 560001<br></address>" in " ".join(html.split())


def test_the_detail_page_shows_the_timeline_the_parcels_and_their_tracking(lifecycle, client):
    customer = make_customer()
    client.force_login(customer)
    stock_up(1, 10, 5)
    order = checkout(user_id=customer.id, lines=[(1, 1)])
    (shipment,) = ship_everything(order)
    deliver(shipment)

    html = client.get(f"/accounts/orders/{order.order_id}/").content.decode()

    for label in ("Placed", "Payment confirmed", "Picked", "Shipped", "Delivered"):
        assert f"<strong>{label}</strong>" in html
    assert f'href="http://shop.test/track/{shipment.tracking_number}/"' in html
    assert "Out for delivery" in html
    assert "Cancel this order" not in html
    assert "Return items" in html
    assert "authorized" not in html  # the system's reasons (payment references) stay internal
    assert f"{shipment.reference} picked" not in html


def test_cancelling_from_the_page_acts_once_even_when_submitted_twice(customer, client):
    order = place_order(user_id=customer.id)
    page = client.get(f"/accounts/orders/{order.order_id}/").content.decode()
    assert "Cancel this order" in page
    key = form_key(page)

    first = client.post(f"/accounts/orders/{order.order_id}/cancel/", {"idempotency_key": key}, follow=True)
    second = client.post(f"/accounts/orders/{order.order_id}/cancel/", {"idempotency_key": key}, follow=True)

    assert "Your order is cancelled" in first.content.decode()
    assert "Your order is cancelled" not in second.content.decode()
    assert status(order) == "cancelled"
    assert [c.to_status for c in orders.order_history(order.order_id)].count("cancelled") == 1


def test_a_cancel_too_late_shows_why_and_changes_nothing(customer, client):
    order = place_order(user_id=customer.id)
    Order.objects.filter(id=order.order_id).update(status="shipped")

    response = client.post(
        f"/accounts/orders/{order.order_id}/cancel/", {"idempotency_key": str(uuid.uuid4())}, follow=True
    )

    assert "it can no longer be cancelled" in response.content.decode()
    assert status(order) == "shipped"


def test_returning_items_from_the_page_then_downloading_the_label(lifecycle, client):
    customer = make_customer()
    client.force_login(customer)
    stock_up(1, 10, 5)
    order = delivered_order(user_id=customer.id, lines=[(1, 2)])
    line = order.lines[0]
    form = client.get(f"/accounts/orders/{order.order_id}/return/").content.decode()
    assert f'<label for="id_line_{line.line_id}">Product 1 (SKU-1) · up to 2</label>' in form

    nothing = client.post(
        f"/accounts/orders/{order.order_id}/return/",
        {"idempotency_key": form_key(form), f"line_{line.line_id}": "0", "reason": "Wrong item"},
    )
    assert nothing.status_code == 400
    assert "Choose at least one item to return." in nothing.content.decode()

    done = client.post(
        f"/accounts/orders/{order.order_id}/return/",
        {"idempotency_key": form_key(form), f"line_{line.line_id}": "1", "reason": "Wrong item"},
        follow=True,
    )
    html = done.content.decode()
    assert "Your return is registered" in html
    (ret,) = orders.returns_of(order.order_id)
    assert (ret.status, ret.reason, ret.lines[0].quantity) == ("requested", "Wrong item", 1)
    assert "Download the return label (PDF)" in html
    assert "<strong>Return requested</strong> · Wrong item" in html  # the customer's own words are shown

    label = client.get(f"/accounts/orders/{order.order_id}/returns/{ret.return_id}/label.pdf")
    assert label.status_code == 200
    assert label.content.startswith(b"%PDF")


def test_the_order_page_reads_every_returns_parcel_in_one_query(lifecycle, client):
    customer = make_customer()
    client.force_login(customer)
    stock_up(1, 10, 5)
    order = delivered_order(user_id=customer.id, lines=[(1, 3)])
    line_id = order.lines[0].line_id

    def page_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(f"/accounts/orders/{order.order_id}/").content.decode()
        return len(captured), html

    def request_return() -> int:
        ret = orders.request_return(order.order_id, actor=f"customer:{customer.id}", lines=[(line_id, 1)])
        return ret.return_id

    first = request_return()
    page_queries()  # warms what every page reads once (the cart badge)
    with_one, _ = page_queries()
    orders.reject_return(first, actor="staff:1", reason="Not received")
    second = request_return()
    orders.reject_return(second, actor="staff:1", reason="Not received")
    third = request_return()
    with_three, html = page_queries()

    assert all(f"Return {ret}: " in html for ret in (first, second, third))
    assert "Download the return label (PDF)" in html  # the open one's parcel was found
    assert with_three == with_one


def test_a_return_outside_the_window_shows_why_on_the_form(customer, client):
    order = place_order(user_id=customer.id)
    Order.objects.filter(id=order.order_id).update(status="delivered", delivered_at=timezone.now() - timedelta(days=40))
    line = order.lines[0]

    response = client.post(
        f"/accounts/orders/{order.order_id}/return/",
        {"idempotency_key": str(uuid.uuid4()), f"line_{line.line_id}": "1", "reason": "Other"},
    )

    assert response.status_code == 400
    assert "The return window closed" in response.content.decode()
    assert orders.returns_of(order.order_id) == []


def test_the_public_tracking_page_shows_the_journey_and_nothing_personal(lifecycle, client):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (shipment,) = ship_everything(order)
    deliver(shipment)

    html = client.get(f"/track/{shipment.tracking_number}/").content.decode()

    assert "Out for delivery" in html
    assert "Delivered" in html
    assert "<p>Simex · <strong>" in html
    assert "SIMEX_" not in html
    for personal in ("A Buyer", "MG Road", "Product 1"):
        assert personal not in html
    assert client.get("/track/1ZNOPE/").status_code == 404


def test_the_detail_api_has_the_timeline_parcels_returns_and_actions(lifecycle, client, django_assert_max_num_queries):
    customer = make_customer()
    client.force_login(customer)
    stock_up(1, 10, 5)
    order = delivered_order(user_id=customer.id, lines=[(1, 1)])

    with django_assert_max_num_queries(14):
        body = client.get(f"/api/v1/orders/{order.order_id}/").json()

    assert body["status"] == "delivered"
    assert [h["to_status"] for h in body["history"]][-1] == "delivered"
    assert {h["reason"] for h in body["history"]} == {""}  # as on the page: internal references stay internal
    (parcel,) = body["shipments"]
    assert parcel["status"] == "delivered"
    assert [e["code"] for e in parcel["events"]] == ["in_transit", "out_for_delivery", "delivered"]
    assert parcel["tracking_url"].endswith(f"/track/{parcel['tracking_number']}/")
    assert body["actions"]["cancel"] is False
    assert body["actions"]["return"] is True
    assert body["returns"] == []
    assert body["lines"][0]["line_id"] == order.lines[0].line_id
    assert fulfillment.shipments_for_order(order.order_id)[0].captured.amount == order.grand_total
