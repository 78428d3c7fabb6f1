"""The event-driven lifecycle in a real Celery worker: the simulated warehouse and carrier run on
their own (short delays), events flow through the outbox relay, emails are sent by the worker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.notifications.models import Notification
from shop.orders import services as orders
from shop.orders import stock
from tests.conftest import wait_until, worker_environment
from tests.factories_lifecycle import amounts, assert_events_all_handled, checkout, status, stock_up

SIMULATOR_ENV = {
    "FULFILLMENT_SIMULATION_AUTOPLAY": "1",
    "FULFILLMENT_SIM_PICK_SECONDS": "0.2",
    "FULFILLMENT_SIM_PACK_SECONDS": "0.2",
    "FULFILLMENT_SIM_HANDOVER_SECONDS": "0.2",
    "FULFILLMENT_SIM_TRANSIT_SECONDS": "0.3",
    "FULFILLMENT_SIM_RETURN_SECONDS": "0.3",
    "FULFILLMENT_SIM_WEBHOOK_URL": "",
}


@pytest.fixture
def simulating_worker(payments_emulator, _worker_process):
    """The session's worker, restarted so that it reads the emulator's address and fast simulators."""
    with worker_environment(_worker_process, SIMULATOR_ENV) as worker:
        yield worker


def sent(order_id: int) -> list[str]:
    return sorted(Notification.objects.filter(order_id=order_id, status="sent").values_list("kind", flat=True))


@pytest.mark.worker
def test_an_order_is_fulfilled_delivered_returned_and_refunded_by_the_worker(
    simulating_worker, celery_worker, stripe_emulator
):
    stock_up(11, warehouse_id=1, quantity=4)
    stock_up(22, warehouse_id=2, quantity=4)

    order = checkout(user_id=9, lines=[(11, 1), (22, 2)])  # 368.00 in two parcels

    wait_until(lambda: status(order) == "delivered", timeout=60, message="the order to be delivered")
    assert amounts(order) == (order.grand_total, order.grand_total, 0)
    wait_until(
        lambda: sent(order.order_id) == ["delivery", "order_confirmation", "shipping", "shipping"],
        message="confirmation, two shipping and the delivery emails",
    )

    line = next(x for x in order.lines if x.sku_id == 22)
    orders.request_return(order.order_id, actor="customer:9", lines=[(line.line_id, 2)])

    wait_until(lambda: status(order) == "refunded", timeout=60, message="the refund")
    assert amounts(order) == (order.grand_total, order.grand_total, Decimal("212.00"))  # 200 + 12 tax
    assert stock.on_hand([11, 22]) == {11: 3, 22: 4}
    wait_until(lambda: "refund" in sent(order.order_id), message="the refund email")
    assert "return_label" in sent(order.order_id)
    history = [c.to_status for c in orders.order_history(order.order_id)]
    assert history == [
        "placed",
        "payment_confirmed",
        "picked",
        "shipped",
        "delivered",
        "return_requested",
        "returned",
        "refunded",
    ]
    assert_events_all_handled()
