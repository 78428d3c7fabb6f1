"""Staff resolve tickets through the owning domains' services, end to end against the payments
emulator and the simulated warehouse: cancel, full and partial refunds, reship, start a return.
Every attempt is audited; refusals change nothing; double submits and races act once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.core.models import OutboxEvent
from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_warehouse
from shop.orders import services as orders
from shop.orders import stock
from shop.orders.models import OrderStatusChange
from shop.payments.models import PaymentOperation
from shop.support import services
from shop.support.models import TicketAction
from tests.concurrency import run_concurrently
from tests.factories_lifecycle import (
    amounts,
    assert_events_all_handled,
    checkout,
    dead_processor,
    delivered_order,
    make_customer,
    payment,
    ship_everything,
    status,
    stock_up,
)
from tests.factories_payments import intents_at_processor
from tests.factories_support import open_ticket

TOTAL = Decimal("168.00")  # one unit at 100.00, shipping 50.00, tax 18.00


@pytest.fixture
def customer(lifecycle):
    return make_customer()


def act(ticket, kind: str, key: str = "form-1", reason: str = "customer asked", **kwargs) -> services.ActionInfo:
    return services.take_action(
        ticket.ticket_id, kind=kind, staff_id=7, staff_name="Priya", reason=reason, key=key, **kwargs
    )


def refunds_of(order) -> int:
    return PaymentOperation.objects.filter(payment__reference=order.payment_reference, kind="refund").count()


def processor_refunded(emulator, order) -> int:
    (intent,) = intents_at_processor(emulator, order.payment_reference)
    charge = emulator.client().v1.charges.retrieve(intent["latest_charge"])
    return charge.amount_refunded


def line_ids(order) -> list[int]:
    return [line.line_id for line in order.lines]


# --- Cancel -----------------------------------------------------------------------------------------


def test_staff_cancel_an_order_from_a_ticket_which_voids_the_payment_and_puts_the_stock_back(customer):
    stock_up(41, warehouse_id=1, quantity=3)
    order = checkout(user_id=customer.id, lines=[(41, 2)])
    ticket = open_ticket(customer, order_id=order.order_id, category="other")

    action = act(ticket, "cancel_order", reason="ordered twice by mistake")

    assert (action.status, action.reference) == ("succeeded", f"order {order.number}")
    assert (action.staff_id, action.staff_name, action.reason) == (7, "Priya", "ordered twice by mistake")
    assert status(order) == "cancelled"
    assert payment(order).status == "voided"
    assert stock.on_hand([41]) == {41: 3}
    change = OrderStatusChange.objects.get(order_id=order.order_id, to_status="cancelled")
    assert change.actor == "staff:7"
    assert change.reason == f"support ticket #{ticket.ticket_id}: ordered twice by mistake"
    assert [a.action_id for a in services.actions_of(ticket.ticket_id)] == [action.action_id]
    assert_events_all_handled()


def test_a_cancel_the_orders_state_does_not_allow_is_refused_recorded_and_changes_nothing(customer):
    stock_up(42, warehouse_id=1, quantity=3)
    order = checkout(user_id=customer.id, lines=[(42, 1)])
    ship_everything(order)
    ticket = open_ticket(customer, order_id=order.order_id)
    before = (status(order), amounts(order), stock.on_hand([42]), OutboxEvent.objects.count())

    action = act(ticket, "cancel_order")

    assert (action.status, action.error_code) == ("refused", "too_late_to_cancel")
    assert action.result == "The order is shipped: it can no longer be cancelled."
    assert (status(order), amounts(order), stock.on_hand([42]), OutboxEvent.objects.count()) == before


# --- Refunds ----------------------------------------------------------------------------------------


def test_a_full_refund_gives_back_everything_captured_through_the_processor(customer, lifecycle):
    stock_up(43, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(43, 1)])
    ticket = open_ticket(customer, order_id=order.order_id, category="damaged_item")

    action = act(ticket, "refund", reason="arrived broken; keep it")

    assert action.status == "succeeded"
    assert action.reference.startswith("re_")
    assert (action.amount, action.currency) == (TOTAL, "INR")
    assert amounts(order) == (TOTAL, TOTAL, TOTAL)
    assert payment(order).status == "refunded"
    assert processor_refunded(lifecycle, order) == 16800
    assert status(order) == "delivered"  # a goodwill refund moves no goods
    assert_events_all_handled()


def test_partial_refunds_never_exceed_what_was_captured_minus_refunded(customer, lifecycle):
    stock_up(44, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(44, 1)])
    ticket = open_ticket(customer, order_id=order.order_id, category="payment")

    partial = act(ticket, "refund", key="k-1", amount="100.00", reason="late delivery")
    too_much = act(ticket, "refund", key="k-2", amount="100.00", reason="late delivery")
    rest = act(ticket, "refund", key="k-3", reason="and the rest")
    nothing_left = act(ticket, "refund", key="k-4", reason="once more")

    assert (partial.status, partial.amount) == ("succeeded", Decimal("100.00"))
    assert (too_much.status, too_much.error_code) == ("refused", "amount_too_large")
    assert "only INR 68.00 is refundable" in too_much.result
    assert (rest.status, rest.amount) == ("succeeded", Decimal("68.00"))
    assert (nothing_left.status, nothing_left.error_code) == ("refused", "nothing_to_refund")
    assert amounts(order)[2] == TOTAL
    assert processor_refunded(lifecycle, order) == 16800


def test_a_double_submitted_refund_refunds_once(customer, lifecycle):
    stock_up(45, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(45, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    first = act(ticket, "refund", key="same-form", amount="50.00")
    second = act(ticket, "refund", key="same-form", amount="50.00")

    assert (first.replayed, second.replayed) == (False, True)
    assert second.action_id == first.action_id
    assert second.reference == first.reference
    assert TicketAction.objects.count() == 1
    assert refunds_of(order) == 1
    assert amounts(order)[2] == Decimal("50.00")
    assert processor_refunded(lifecycle, order) == 5000


def test_concurrent_double_submits_of_a_refund_refund_once(customer, lifecycle):
    stock_up(46, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(46, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    results = run_concurrently(4, lambda _i: act(ticket, "refund", key="clicked-4-times", amount="40.00"))

    assert len({r.action_id for r in results}) == 1
    assert TicketAction.objects.get().status == "succeeded"
    assert refunds_of(order) == 1
    assert amounts(order)[2] == Decimal("40.00")
    assert processor_refunded(lifecycle, order) == 4000


def test_concurrent_refunds_by_several_staff_never_exceed_the_capture(customer, lifecycle):
    stock_up(47, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(47, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    results = run_concurrently(3, lambda i: act(ticket, "refund", key=f"staff-{i}", amount="100.00"))

    assert sorted(r.status for r in results) == ["refused", "refused", "succeeded"]
    assert {r.error_code for r in results if r.status == "refused"} == {"amount_too_large"}
    assert amounts(order)[2] == Decimal("100.00")
    assert processor_refunded(lifecycle, order) == 10000


def test_a_refund_before_anything_was_captured_is_refused_with_advice_to_cancel(customer):
    stock_up(48, warehouse_id=1, quantity=3)
    order = checkout(user_id=customer.id, lines=[(48, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    partial = act(ticket, "refund", key="k-1", amount="10.00")
    full = act(ticket, "refund", key="k-2")

    assert (partial.status, partial.error_code) == ("refused", "not_captured")
    assert "cancel the order instead" in partial.result
    assert (full.status, full.error_code) == ("refused", "nothing_to_refund")
    assert amounts(order) == (TOTAL, 0, 0)
    assert payment(order).status == "authorized"


def test_a_refund_while_the_processor_is_down_stays_pending_and_a_retry_refunds_once(customer, lifecycle, settings):
    stock_up(49, warehouse_id=1, quantity=3)
    order = delivered_order(user_id=customer.id, lines=[(49, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    with dead_processor(settings), pytest.raises(services.ActionPending) as pending:
        act(ticket, "refund", amount="30.00")
    assert "retry it later" in pending.value.message
    action = TicketAction.objects.get()
    assert action.status == "pending"
    assert amounts(order)[2] == 0

    retried = services.retry_action(action.id)
    again = services.retry_action(action.id)

    assert (retried.status, again.status, again.replayed) == ("succeeded", "succeeded", True)
    assert refunds_of(order) == 1
    assert amounts(order)[2] == Decimal("30.00")
    assert processor_refunded(lifecycle, order) == 3000


# --- Reship -----------------------------------------------------------------------------------------


def test_a_reship_from_a_ticket_sends_a_free_replacement_and_takes_stock(customer):
    stock_up(50, warehouse_id=1, quantity=5)
    order = delivered_order(user_id=customer.id, lines=[(50, 2)])
    ticket = open_ticket(customer, order_id=order.order_id, category="damaged_item")
    paid = amounts(order)

    action = act(ticket, "reship", lines=[(line_ids(order)[0], 1)], reason="one arrived crushed")

    (parcel,) = [s for s in fulfillment.shipments_for_order(order.order_id) if s.is_reship]
    assert (action.status, action.reference) == ("succeeded", parcel.reference)
    assert stock.on_hand([50]) == {50: 2}
    for step in ("pick", "pack", "handover"):
        assert simulated_warehouse.perform(parcel.reference, step)
    assert fulfillment.get_shipment(parcel.shipment_id).status == "shipped"
    assert amounts(order) == paid
    assert status(order) == "delivered"
    assert act(ticket, "reship", lines=[(line_ids(order)[0], 1)], reason="one arrived crushed").replayed
    assert stock.on_hand([50]) == {50: 2}
    assert_events_all_handled()


def test_a_reship_of_an_order_not_shipped_is_refused_and_takes_nothing(customer):
    stock_up(51, warehouse_id=1, quantity=5)
    order = checkout(user_id=customer.id, lines=[(51, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)

    action = act(ticket, "reship", lines=[(line_ids(order)[0], 1)])

    assert (action.status, action.error_code) == ("refused", "not_shipped")
    assert stock.on_hand([51]) == {51: 4}
    assert not [s for s in fulfillment.shipments_for_order(order.order_id) if s.is_reship]


# --- Start a return ---------------------------------------------------------------------------------


def test_staff_start_a_return_from_a_ticket_and_the_refund_follows_its_arrival(customer, lifecycle):
    stock_up(52, warehouse_id=1, quantity=5)
    order = delivered_order(user_id=customer.id, lines=[(52, 2)])
    ticket = open_ticket(customer, order_id=order.order_id, category="return")

    action = act(ticket, "start_return", lines=[(line_ids(order)[0], 1)], reason="wrong size")

    (ret,) = orders.returns_of(order.order_id)
    assert (action.status, action.reference) == ("succeeded", f"return {ret.return_id}")
    assert status(order) == "return_requested"
    assert ret.amount == Decimal("109.00")  # one unit and its share of the tax
    assert fulfillment.return_parcel(ret.return_id) is not None  # the prepaid label
    assert simulated_warehouse.perform(f"RET-{ret.return_id}", "receive_return")
    assert status(order) == "refunded"
    assert amounts(order)[2] == Decimal("109.00")
    assert processor_refunded(lifecycle, order) == 10900
    assert_events_all_handled()


def test_a_return_that_is_not_possible_is_refused_and_changes_nothing(customer):
    stock_up(53, warehouse_id=1, quantity=5)
    undelivered = checkout(user_id=customer.id, lines=[(53, 1)])
    order = delivered_order(user_id=customer.id, lines=[(53, 1)])
    line = line_ids(order)[0]
    order_events = OutboxEvent.objects.filter(event_type__startswith="orders.")
    before = order_events.count()

    not_delivered = act(open_ticket(customer, order_id=undelivered.order_id), "start_return", lines=[(line, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    too_many = act(ticket, "start_return", key="k-1", lines=[(line, 5)])

    assert (not_delivered.status, not_delivered.error_code) == ("refused", "not_delivered")
    assert (too_many.status, too_many.error_code) == ("refused", "invalid_lines")
    assert "Only 1 unit(s) of this line can still be returned." in too_many.result
    assert (status(undelivered), status(order)) == ("payment_confirmed", "delivered")
    assert orders.returns_of(order.order_id) == []
    assert order_events.count() == before

    assert act(ticket, "start_return", key="k-2", lines=[(line, 1)]).status == "succeeded"
    again = act(ticket, "start_return", key="k-3", lines=[(line, 1)])
    assert (again.status, again.error_code) == ("refused", "return_open")
    assert len(orders.returns_of(order.order_id)) == 1


# --- Input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("refund", {"reason": ""}, "reason"),
        ("refund", {"reason": "r" * 501}, "reason"),
        ("refund", {"amount": "-5"}, "amount"),
        ("refund", {"amount": "0"}, "amount"),
        ("refund", {"amount": "1.005"}, "amount"),
        ("refund", {"amount": "NaN"}, "amount"),
        ("refund", {"amount": "ten"}, "amount"),
        ("refund", {"key": ""}, "key"),
        ("destroy", {}, "kind"),
        ("reship", {"lines": []}, "lines"),
        ("start_return", {"lines": [(1, 0)]}, "lines"),
    ],
)
def test_bad_staff_input_is_refused_and_stores_nothing(customer, kind, fields, field):
    stock_up(54, warehouse_id=1, quantity=5)
    order = checkout(user_id=customer.id, lines=[(54, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    data = {"reason": "why", "key": "k", **fields}

    with pytest.raises(services.InvalidInput) as refused:
        services.take_action(ticket.ticket_id, kind=kind, staff_id=7, staff_name="Priya", **data)

    assert field in refused.value.fields
    assert not TicketAction.objects.exists()
    assert status(order) == "payment_confirmed"


def test_a_ticket_without_an_order_has_nothing_to_act_on(customer):
    ticket = open_ticket(customer)

    with pytest.raises(services.InvalidInput, match="not about an order"):
        act(ticket, "refund")

    assert not TicketAction.objects.exists()


def test_a_form_key_reused_for_another_action_is_a_conflict(customer):
    stock_up(55, warehouse_id=1, quantity=5)
    order = checkout(user_id=customer.id, lines=[(55, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    act(ticket, "refund", key="k", amount="10.00")

    with pytest.raises(services.ActionConflict):
        act(ticket, "cancel_order", key="k")

    assert status(order) == "payment_confirmed"
    assert TicketAction.objects.count() == 1
