"""Replacement parcels (reship): lines of a shipped order sent again, taking stock, charging nothing."""

from __future__ import annotations

import pytest
from django.core import mail

from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_warehouse
from shop.fulfillment.models import Shipment
from shop.orders import services as orders
from shop.orders import stock
from tests.concurrency import run_concurrently
from tests.factories_lifecycle import (
    amounts,
    assert_events_all_handled,
    checkout,
    deliver,
    delivered_order,
    ship_everything,
    status,
    stock_up,
)


def line_of(order: orders.OrderInfo, sku_id: int) -> int:
    return next(line.line_id for line in order.lines if line.sku_id == sku_id)


def test_a_reship_sends_the_lines_again_free_and_takes_stock(lifecycle):
    stock_up(21, warehouse_id=1, quantity=5)
    order = delivered_order(lines=[(21, 2)])
    paid = amounts(order)
    assert stock.on_hand([21]) == {21: 3}
    mail.outbox.clear()

    (parcel,) = fulfillment.reship(order.order_id, [(line_of(order, 21), 1)], reference="t-1", reason="damaged")

    assert parcel.is_reship
    assert parcel.amount.amount == 0
    assert [(x.sku_id, x.quantity) for x in parcel.lines] == [(21, 1)]
    assert stock.on_hand([21]) == {21: 2}
    for step in ("pick", "pack", "handover"):
        assert simulated_warehouse.perform(parcel.reference, step)
    shipped = fulfillment.get_shipment(parcel.shipment_id)
    assert shipped.status == "shipped"
    assert shipped.captured.amount == 0
    assert amounts(order) == paid  # nothing charged again
    assert status(order) == "delivered"  # the order does not move back
    deliver(shipped)
    assert fulfillment.get_shipment(parcel.shipment_id).status == "delivered"
    assert status(order) == "delivered"
    assert [m.subject for m in mail.outbox if "shipped" in m.subject.lower()], "the customer gets tracking"
    assert_events_all_handled()


def test_a_reship_of_a_shipped_order_does_not_hold_back_its_delivery(lifecycle):
    stock_up(22, warehouse_id=1, quantity=5)
    order = checkout(lines=[(22, 1)])
    (original,) = ship_everything(order)
    assert status(order) == "shipped"

    fulfillment.reship(order.order_id, [(line_of(order, 22), 1)], reference="t-2", reason="lost in transit")
    deliver(original)

    assert status(order) == "delivered"


def test_a_repeated_reship_returns_the_same_parcels_and_takes_stock_once(lifecycle):
    stock_up(23, warehouse_id=1, quantity=5)
    order = delivered_order(lines=[(23, 1)])
    lines = [(line_of(order, 23), 1)]

    first = fulfillment.reship(order.order_id, lines, reference="t-3", reason="damaged")
    again = fulfillment.reship(order.order_id, lines, reference="t-3", reason="damaged")

    assert [s.shipment_id for s in again] == [s.shipment_id for s in first]
    assert stock.on_hand([23]) == {23: 3}


def test_a_reship_interrupted_after_taking_stock_completes_on_retry_without_taking_more(lifecycle, monkeypatch):
    stock_up(24, warehouse_id=1, quantity=5)
    order = delivered_order(lines=[(24, 1)])
    real = fulfillment._create_reship_shipments

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(fulfillment, "_create_reship_shipments", crash)
    with pytest.raises(RuntimeError):
        fulfillment.reship(order.order_id, [(line_of(order, 24), 1)], reference="t-4", reason="damaged")
    assert stock.on_hand([24]) == {24: 3}
    monkeypatch.setattr(fulfillment, "_create_reship_shipments", real)

    (parcel,) = fulfillment.reship(order.order_id, [(line_of(order, 24), 1)], reference="t-4", reason="damaged")

    assert parcel.is_reship
    assert stock.on_hand([24]) == {24: 3}


def test_concurrent_reships_with_one_reference_make_one_parcel(lifecycle):
    stock_up(25, warehouse_id=1, quantity=9)
    order = delivered_order(lines=[(25, 1)])
    lines = [(line_of(order, 25), 1)]

    results = run_concurrently(
        4, lambda _i: fulfillment.reship(order.order_id, lines, reference="t-5", reason="damaged")
    )

    assert {tuple(s.shipment_id for s in parcels) for parcels in results} == {tuple(s.shipment_id for s in results[0])}
    assert Shipment.objects.filter(kind="reship", order_id=order.order_id).count() == 1
    assert stock.on_hand([25]) == {25: 7}


def test_a_reship_of_an_order_not_shipped_yet_is_refused_and_takes_nothing(lifecycle):
    stock_up(26, warehouse_id=1, quantity=5)
    order = checkout(lines=[(26, 1)])

    with pytest.raises(fulfillment.ReshipRefused) as refused:
        fulfillment.reship(order.order_id, [(line_of(order, 26), 1)], reference="t-6", reason="impatient")

    assert refused.value.code == "not_shipped"
    assert "payment confirmed" in refused.value.message.lower()
    assert stock.on_hand([26]) == {26: 4}
    assert not Shipment.objects.filter(kind="reship").exists()


def test_a_reship_without_stock_is_refused_and_takes_nothing(lifecycle):
    stock_up(27, warehouse_id=1, quantity=1)
    order = delivered_order(lines=[(27, 1)])

    with pytest.raises(fulfillment.ReshipRefused) as refused:
        fulfillment.reship(order.order_id, [(line_of(order, 27), 1)], reference="t-7", reason="damaged")

    assert refused.value.code == "out_of_stock"
    assert stock.on_hand([27]) == {27: 0}
    assert not Shipment.objects.filter(kind="reship").exists()


@pytest.mark.parametrize(
    ("lines", "code"),
    [("none", "invalid"), ("other_order", "invalid_lines"), ("too_many", "invalid_lines"), ("zero", "invalid")],
)
def test_a_reship_of_lines_not_bought_is_refused(lifecycle, lines, code):
    stock_up(28, warehouse_id=1, quantity=9)
    order = delivered_order(lines=[(28, 2)])
    line_id = line_of(order, 28)
    lines = {"none": [], "other_order": [(0, 1)], "too_many": [(line_id, 3)], "zero": [(line_id, 0)]}[lines]

    with pytest.raises(fulfillment.ReshipRefused) as refused:
        fulfillment.reship(order.order_id, lines, reference="t-8", reason="damaged")

    assert refused.value.code == code
    assert stock.on_hand([28]) == {28: 7}
