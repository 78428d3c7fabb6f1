"""Staff tools: order list with filters and state-machine actions, shipments, returns, refunds, alerts."""

from __future__ import annotations

import pytest

from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_warehouse
from shop.fulfillment.models import Shipment
from shop.notifications.models import StaffAlert
from shop.orders import services as orders
from shop.orders.admin import OrderAdmin
from shop.orders.models import Order
from tests.factories_lifecycle import amounts, checkout, delivered_order, make_customer, status, stock_up
from tests.factories_orders import place_order


@pytest.fixture
def staff(client, db):
    user = make_customer("boss", is_staff=True)
    client.force_login(user)
    return user


def run_action(client, url: str, action: str, ids: list[int]):
    return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)


def test_the_order_actions_are_the_staff_moves_of_the_state_machine():
    names = [action.__name__ for action in OrderAdmin.actions]
    assert names == [
        "move_to_payment_confirmed",
        "move_to_cancelled",
        "move_to_returned",
        "move_to_delivered",
    ]


def test_the_order_list_filters_by_status(staff, client):
    cancelled = place_order()
    orders.cancel_order(cancelled.order_id, actor="staff:1")
    placed = place_order()

    html = client.get("/admin/orders/order/?status__exact=cancelled").content.decode()

    assert cancelled.number in html
    assert placed.number not in html


def test_staff_cancel_from_the_list_and_see_refusals(staff, client):
    open_order = place_order()
    shipped = place_order()
    Order.objects.filter(id=shipped.order_id).update(status="shipped")

    response = run_action(client, "/admin/orders/order/", "move_to_cancelled", [open_order.order_id, shipped.order_id])

    html = response.content.decode()
    assert "Cancel: 1 order(s)." in html
    assert f"{shipped.number}: The order is shipped: it can no longer be cancelled." in html
    assert status(open_order) == "cancelled"
    assert orders.order_history(open_order.order_id)[-1].actor == f"staff:{staff.id}"
    assert status(shipped) == "shipped"


def test_staff_confirm_a_payment_only_when_it_is_authorized(staff, client):
    order = place_order(payment_reference="missing")

    html = run_action(client, "/admin/orders/order/", "move_to_payment_confirmed", [order.order_id]).content.decode()

    assert "no payment has this reference" in html
    assert status(order) == "placed"


def test_the_order_page_shows_its_parcels_and_emails(lifecycle, client):
    client.force_login(make_customer("boss", is_staff=True))
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (shipment,) = fulfillment.shipments_for_order(order.order_id)

    html = client.get(f"/admin/orders/order/{order.order_id}/change/").content.decode()

    assert shipment.reference in html
    assert "Sent to the warehouse" in html
    assert f"Your Shop order {order.number} is confirmed" in html


def test_a_held_parcel_is_released_from_the_shipment_admin(lifecycle, client, settings):
    client.force_login(make_customer("boss", is_staff=True))
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (parcel,) = fulfillment.shipments_for_order(order.order_id)
    for step in ("pick", "pack"):
        simulated_warehouse.perform(parcel.reference, step)
    Shipment.objects.filter(id=parcel.shipment_id).update(status="on_hold", hold_reason="test")

    html = run_action(client, "/admin/fulfillment/shipment/", "retry_capture", [parcel.shipment_id]).content.decode()

    assert "1 parcel(s) released for capture." in html
    assert fulfillment.get_shipment(parcel.shipment_id).status == "shipped"
    assert amounts(order)[1] == order.grand_total
    page = client.get(f"/admin/fulfillment/shipment/{parcel.shipment_id}/change/").content.decode()
    assert "Download the label (PDF)" in page
    label = client.get(f"/admin/fulfillment/shipment/{parcel.shipment_id}/label/")
    assert label.content.startswith(b"%PDF")


def test_staff_mark_a_return_received_and_the_refund_runs(lifecycle, client):
    client.force_login(make_customer("boss", is_staff=True))
    stock_up(1, 10, 5)
    order = delivered_order(lines=[(1, 1)])
    ret = orders.request_return(order.order_id, actor="staff:1", lines=[(order.lines[0].line_id, 1)])

    html = run_action(client, "/admin/orders/return/", "mark_received", [ret.return_id]).content.decode()

    assert "errornote" not in html
    assert orders.get_return(ret.return_id).status == "refunded"
    assert status(order) == "refunded"
    assert client.get(f"/admin/orders/return/{ret.return_id}/change/").status_code == 200
    assert client.get("/admin/orders/refund/").status_code == 200


def test_staff_resolve_alerts(staff, client):
    alert = StaffAlert.objects.create(kind="capture_failed", subject="SHP-1 stopped", message="m", reference="SHP-1")

    assert "SHP-1 stopped" in client.get("/admin/notifications/staffalert/?open=1").content.decode()
    run_action(client, "/admin/notifications/staffalert/", "resolve", [alert.id])

    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert alert.resolved_by == f"staff:{staff.id}"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/",
        "/admin/orders/return/",
        "/admin/orders/refund/",
        "/admin/orders/returnpolicy/",
        "/admin/fulfillment/shipment/?status__exact=on_hold",
        "/admin/fulfillment/returnparcel/",
        "/admin/fulfillment/warehouseconnection/",
        "/admin/fulfillment/carrierchoice/",
        "/admin/notifications/notification/",
        "/admin/notifications/staffalert/",
        "/admin/analytics/ordertransitioncount/",
    ],
)
def test_every_lifecycle_admin_list_renders(staff, client, url):
    assert client.get(url).status_code == 200
