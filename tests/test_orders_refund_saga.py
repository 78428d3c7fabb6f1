"""The refund saga: refund, restock, close; each step idempotent; a refusal compensates;
a return can never be refunded twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from shop.core.money import Money
from shop.fulfillment import simulated_warehouse
from shop.notifications.models import StaffAlert
from shop.orders import refunds, stock
from shop.orders import services as orders
from shop.orders.models import Refund
from shop.payments import services as payments
from tests.factories_lifecycle import amounts, dead_processor, delivered_order, status, stock_up


class Crash(BaseException):
    """The worker dies (not an Exception: nothing on the way catches it)."""


def open_return(order: orders.OrderInfo, quantity: int = 1) -> int:
    ret = orders.request_return(
        order.order_id, actor=f"customer:{order.user_id}", lines=[(order.lines[0].line_id, quantity)]
    )
    return ret.return_id


def refund_of(return_id: int) -> Refund:
    return Refund.objects.get(ret_id=return_id)


@pytest.fixture
def order(lifecycle):
    stock_up(1, 10, 5)
    return delivered_order(user_id=3, lines=[(1, 2)])  # 268.00 captured


def test_a_received_return_is_refunded_restocked_and_closed(order):
    return_id = open_return(order)

    assert simulated_warehouse.perform(f"RET-{return_id}", "receive_return")

    refund = refund_of(return_id)
    assert refund.state == "completed"
    assert refund.refund_id.startswith("re_")
    assert list(refund.steps.values_list("step", "outcome")) == [
        ("start", "succeeded"),
        ("refund", "succeeded"),
        ("restock", "succeeded"),
        ("close", "succeeded"),
    ]
    assert amounts(order)[2] == Decimal("109.00")
    assert stock.on_hand([1]) == {1: 4}
    assert status(order) == "refunded"


def test_running_the_saga_again_refunds_nothing_more(order):
    return_id = open_return(order)
    simulated_warehouse.perform(f"RET-{return_id}", "receive_return")
    refund = refund_of(return_id)

    assert refunds.advance(refund.id) is None  # finished: nothing to claim
    for step in refunds.STEPS:
        step.invoke(refund)  # every step again, as after a crash

    assert amounts(order)[2] == Decimal("109.00")
    assert stock.on_hand([1]) == {1: 4}
    assert payments.get_payment(order.payment_reference).refunded.amount == Decimal("109.00")


def test_receiving_the_same_return_twice_starts_one_refund(order):
    return_id = open_return(order)
    simulated_warehouse.perform(f"RET-{return_id}", "receive_return")

    assert orders.return_received(return_id, actor="staff:1") is False

    assert Refund.objects.filter(ret_id=return_id).count() == 1
    assert amounts(order)[2] == Decimal("109.00")


def test_the_same_units_cannot_be_returned_and_refunded_twice(order):
    return_id = open_return(order, quantity=2)
    simulated_warehouse.perform(f"RET-{return_id}", "receive_return")
    assert amounts(order)[2] == Decimal("218.00")

    with pytest.raises(orders.ReturnRefused, match=r"Only 0 unit"):
        open_return(order, quantity=1)
    assert amounts(order)[2] == Decimal("218.00")


def test_a_second_return_of_the_other_units_is_refunded_separately(order):
    first = open_return(order)
    simulated_warehouse.perform(f"RET-{first}", "receive_return")
    second = open_return(orders.get_order(order.order_id))
    simulated_warehouse.perform(f"RET-{second}", "receive_return")

    assert amounts(order)[2] == Decimal("218.00")
    assert status(order) == "refunded"
    assert stock.on_hand([1]) == {1: 5}


def test_a_crash_after_the_refund_and_before_its_record_refunds_once(order, monkeypatch):
    return_id = open_return(order)
    real_refund = payments.refund
    calls = []

    def refund_then_die(*args, **kwargs):
        result = real_refund(*args, **kwargs)
        calls.append(result)
        if len(calls) == 1:
            raise Crash  # the processor refunded; the saga never learnt it
        return result

    monkeypatch.setattr(refunds.payments, "refund", refund_then_die)
    with pytest.raises(Crash):
        simulated_warehouse.perform(f"RET-{return_id}", "receive_return")
    refund = refund_of(return_id)
    assert refund.step_index == 1  # still on "refund"
    Refund.objects.filter(id=refund.id).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert refunds.advance(refund.id) == "completed"  # another worker picks it up after the lease

    assert calls[0].refund_id == calls[1].refund_id  # the replay returned the first refund
    assert amounts(order)[2] == Decimal("109.00")


def test_concurrent_workers_refund_once(order):
    return_id = open_return(order)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("shop.orders.returns.run_refund.delay", lambda refund_id: None)  # no worker yet
        orders.return_received(return_id, actor="system")
    refund_id = refund_of(return_id).id
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                refunds.advance(refund_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert refund_of(return_id).state == "completed"
    assert amounts(order)[2] == Decimal("109.00")
    assert stock.on_hand([1]) == {1: 4}


def test_an_unreachable_processor_is_retried_not_given_up(order, settings):
    return_id = open_return(order)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("shop.orders.returns.run_refund.delay", lambda refund_id: None)
        orders.return_received(return_id, actor="system")
    refund_id = refund_of(return_id).id
    settings.ORDERS_REFUND_MAX_ATTEMPTS = 2

    with dead_processor(settings):
        for _ in range(3):
            with pytest.raises(payments.ProcessorUnavailable):
                refunds.advance(refund_id)
    assert refund_of(return_id).state == "running"
    assert refund_of(return_id).attempts == 3

    assert refunds.advance(refund_id) == "completed"
    assert amounts(order)[2] == Decimal("109.00")


def test_a_refund_the_processor_refuses_is_compensated_and_staff_are_alerted(order):
    return_id = open_return(order)
    # Someone refunded the whole payment in the processor's dashboard: nothing is left to refund.
    payments.refund(order.payment_reference, Money.of(order.grand_total, "INR"), "dashboard")

    simulated_warehouse.perform(f"RET-{return_id}", "receive_return")

    refund = refund_of(return_id)
    assert (refund.state, refund.failure_code) == ("failed", "amount_too_large")
    assert orders.get_return(return_id).status == "refund_failed"
    assert status(order) == "returned"
    assert stock.on_hand([1]) == {1: 3}  # the saga stopped before restocking
    alert = StaffAlert.objects.get(kind="refund_failed")
    assert alert.reference == f"return-{return_id}"
    assert "amount_too_large" in alert.message
    assert amounts(order)[2] == order.grand_total  # only the dashboard refund

    # Retrying replays the same key: still refused, never paid twice.
    assert refunds.retry(refund.id)
    assert refunds.advance(refund.id) == "failed"
    assert amounts(order)[2] == order.grand_total
