"""placed → payment_confirmed: decided from the payments service, on OrderCreated or on PaymentAuthorized."""

from __future__ import annotations

import pytest

from shop.core.money import Money
from shop.fulfillment import services as fulfillment
from shop.orders import services as orders
from shop.payments import services as payments
from tests.factories_lifecycle import assert_events_all_handled, checkout, status, stock_up
from tests.factories_orders import place_order
from tests.factories_payments import answer_3d_secure, new_reference


def test_an_order_created_after_the_authorization_is_confirmed_at_once_and_goes_to_the_warehouse(lifecycle):
    stock_up(5, warehouse_id=3, quantity=1)

    order = checkout(lines=[(5, 1)])

    assert status(order) == "payment_confirmed"
    change = orders.order_history(order.order_id)[-1]
    assert (change.actor, change.reason) == ("system", f"payment {order.payment_reference} authorized")
    (shipment,) = fulfillment.shipments_for_order(order.order_id)
    assert (shipment.warehouse_id, shipment.status) == (3, "picking")
    assert_events_all_handled()


def test_an_order_waiting_for_3d_secure_is_confirmed_when_the_authorization_arrives(lifecycle):
    reference = new_reference("checkout")
    result = payments.authorize(reference, Money.of("168.00", "INR"), "pm_card_authenticationRequired")
    assert result.requires_action

    order = place_order(payment_reference=reference)
    assert status(order) == "placed"

    answer_3d_secure(result.next_action_url, "succeed")
    payments.refresh_payment(reference)  # publishes PaymentAuthorized

    assert status(order) == "payment_confirmed"
    assert_events_all_handled()


def test_an_order_whose_payment_fails_is_cancelled_by_the_system(lifecycle):
    reference = new_reference("checkout")
    result = payments.authorize(reference, Money.of("168.00", "INR"), "pm_card_authenticationRequired")
    order = place_order(payment_reference=reference)

    answer_3d_secure(result.next_action_url, "fail")
    payments.refresh_payment(reference)  # publishes PaymentFailed

    assert status(order) == "cancelled"
    assert orders.order_history(order.order_id)[-1].reason == "payment failed: payment_intent_authentication_failure"


def test_an_authorization_smaller_than_the_order_does_not_confirm_it(lifecycle):
    reference = new_reference("checkout")
    payments.authorize(reference, Money.of("100.00", "INR"), "pm_card_visa")

    order = place_order(payment_reference=reference)  # 168.00

    assert status(order) == "placed"
    with pytest.raises(orders.InvalidTransition, match=r"only INR 100.00 is authorized") as refused:
        orders.confirm_payment(order.order_id, actor="staff:1")
    assert refused.value.code == "payment_not_authorized"


def test_staff_cannot_confirm_an_order_without_a_payment(lifecycle):
    order = place_order(payment_reference="no-such-payment")

    with pytest.raises(orders.InvalidTransition, match="no payment has this reference"):
        orders.confirm_payment(order.order_id, actor="staff:1")
    assert status(order) == "placed"


def test_confirming_twice_changes_nothing_the_second_time(lifecycle):
    stock_up(6, warehouse_id=1, quantity=1)
    order = checkout(lines=[(6, 1)])

    assert orders.confirm_payment(order.order_id) is True
    assert [c.to_status for c in orders.order_history(order.order_id)].count("payment_confirmed") == 1
