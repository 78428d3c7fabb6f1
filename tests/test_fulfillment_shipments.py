"""Shipments: one per warehouse, each capturing its share of the payment when it ships;
a failed capture stops the parcel and alerts staff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core import mail

from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_carrier, simulated_warehouse
from shop.fulfillment.services import split_total
from shop.fulfillment.tasks import ship_shipment
from shop.notifications.models import Notification, StaffAlert
from shop.orders import services as orders
from shop.payments import services as payments
from tests.factories_lifecycle import (
    amounts,
    assert_events_all_handled,
    checkout,
    dead_processor,
    payment,
    status,
    stock_up,
)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        ("368.00", ["200", "100"], ["245.33", "122.67"]),
        ("100.00", ["1", "1", "1"], ["33.33", "33.33", "33.34"]),
        ("50.00", ["0", "0"], ["0", "50.00"]),
        ("168.00", ["100"], ["168.00"]),
    ],
)
def test_an_order_total_splits_into_shares_in_cents_that_add_up_exactly(total, weights, expected):
    shares = split_total(Decimal(total), [Decimal(w) for w in weights])
    assert shares == [Decimal(e) for e in expected]
    assert sum(shares) == Decimal(total)


def pick_pack_hand_over(reference: str) -> None:
    for step in ("pick", "pack", "handover"):
        assert simulated_warehouse.perform(reference, step)


def test_lines_from_three_warehouses_ship_as_three_parcels_and_the_last_capture_is_final(lifecycle):
    for sku, warehouse in ((1, 10), (2, 20), (3, 30)):
        stock_up(sku, warehouse, 5)
    order = checkout(lines=[(1, 1), (2, 2), (3, 1)])  # 468.00

    parcels = fulfillment.shipments_for_order(order.order_id)
    assert [p.warehouse_id for p in parcels] == [10, 20, 30]
    assert [[line.sku_id for line in p.lines] for p in parcels] == [[1], [2], [3]]
    assert sum(p.amount.amount for p in parcels) == order.grand_total

    captured = Decimal(0)
    for parcel in parcels:
        pick_pack_hand_over(parcel.reference)
        captured += parcel.amount.amount
        assert amounts(order)[1] == captured
    assert payment(order).status == "captured"
    assert payment(order).capturable.amount == 0
    assert status(order) == "shipped"
    assert_events_all_handled()


def test_without_multicapture_the_first_parcel_captures_the_whole_order(lifecycle, settings):
    settings.PAYMENTS_REQUEST_MULTICAPTURE = False
    stock_up(1, 10, 5)
    stock_up(2, 20, 5)
    order = checkout(lines=[(1, 1), (2, 1)])
    assert payment(order).multicapture is False
    first, second = fulfillment.shipments_for_order(order.order_id)

    pick_pack_hand_over(second.reference)
    assert amounts(order)[1] == order.grand_total
    pick_pack_hand_over(first.reference)

    assert amounts(order)[1] == order.grand_total
    assert fulfillment.get_shipment(second.shipment_id).captured.amount == order.grand_total
    assert fulfillment.get_shipment(first.shipment_id).captured.amount == 0
    assert status(order) == "shipped"


def test_a_refused_capture_stops_the_parcel_and_alerts_staff(lifecycle):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (parcel,) = fulfillment.shipments_for_order(order.order_id)
    for step in ("pick", "pack"):
        assert simulated_warehouse.perform(parcel.reference, step)
    payments.void(order.payment_reference)  # the authorization is gone (expired, voided by hand...)

    assert simulated_warehouse.perform(parcel.reference, "handover")

    held = fulfillment.get_shipment(parcel.shipment_id)
    assert held.status == "on_hold"
    assert "invalid_state" in held.hold_reason or "voided" in held.hold_reason.lower()
    assert status(order) == "picked"  # it never shipped
    assert amounts(order)[1] == 0
    alert = StaffAlert.objects.get(kind="capture_failed")
    assert alert.reference == parcel.reference
    assert "stopped: payment capture failed" in alert.subject
    email = Notification.objects.get(kind="staff_alert")
    assert (email.status, email.recipients) == ("sent", ["staff@localhost"])
    assert any("payment capture failed" in m.subject for m in mail.outbox)
    assert_events_all_handled()


def test_an_unreachable_processor_is_retried_then_held_and_a_retry_captures_once(lifecycle, settings):
    settings.FULFILLMENT_CAPTURE_MAX_RETRIES = 1
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (parcel,) = fulfillment.shipments_for_order(order.order_id)
    for step in ("pick", "pack"):
        assert simulated_warehouse.perform(parcel.reference, step)

    with dead_processor(settings):
        with pytest.raises(Retry):  # a worker retries the capture later, with the same key
            simulated_warehouse.perform(parcel.reference, "handover")
        assert fulfillment.get_shipment(parcel.shipment_id).status == "capturing"
        ship_shipment.apply(args=[parcel.shipment_id], retries=settings.FULFILLMENT_CAPTURE_MAX_RETRIES)
    held = fulfillment.get_shipment(parcel.shipment_id)
    assert held.status == "on_hold"
    assert held.hold_reason.startswith("processor_unavailable")
    assert StaffAlert.objects.filter(kind="capture_failed").count() == 1

    assert fulfillment.retry_capture(parcel.shipment_id)

    assert fulfillment.get_shipment(parcel.shipment_id).status == "shipped"
    assert amounts(order)[1] == order.grand_total  # the pending capture was replayed, not doubled
    assert status(order) == "shipped"


def test_a_delivery_scanned_while_the_capture_is_retried_delivers_the_parcel_once_it_ships(lifecycle, settings):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (parcel,) = fulfillment.shipments_for_order(order.order_id)
    for step in ("pick", "pack"):
        assert simulated_warehouse.perform(parcel.reference, step)
    with dead_processor(settings), pytest.raises(Retry):
        simulated_warehouse.perform(parcel.reference, "handover")
    tracking_number = fulfillment.get_shipment(parcel.shipment_id).tracking_number
    for code in ("in_transit", "out_for_delivery", "delivered"):  # the carrier does not wait for our capture
        assert simulated_carrier.send_event(tracking_number, code) == 200
    assert fulfillment.get_shipment(parcel.shipment_id).status == "capturing"

    ship_shipment.apply(args=[parcel.shipment_id])  # the retried capture succeeds

    assert fulfillment.get_shipment(parcel.shipment_id).status == "delivered"
    assert status(order) == "delivered"
    assert amounts(order)[1] == order.grand_total
    assert_events_all_handled()


def test_warehouse_reports_out_of_order_are_refused_and_repeats_are_harmless(lifecycle):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (parcel,) = fulfillment.shipments_for_order(order.order_id)

    with pytest.raises(fulfillment.WarehouseReportRefused, match="not picked"):
        fulfillment.warehouse_packed(parcel.reference, weight_grams=500)
    with pytest.raises(fulfillment.WarehouseReportRefused, match="not packed"):
        fulfillment.warehouse_handed_over(parcel.reference)
    fulfillment.warehouse_picked(parcel.reference)
    fulfillment.warehouse_picked(parcel.reference)
    assert [c.to_status for c in orders.order_history(order.order_id)].count("picked") == 1
    with pytest.raises(fulfillment.ShipmentNotFound):
        fulfillment.warehouse_picked("SHP-999999")
