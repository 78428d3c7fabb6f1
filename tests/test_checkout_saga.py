"""The checkout saga end to end, run in-process after commit (eager Celery), against real
Postgres, Redis and the payments emulator: the happy path, declines, price changes, stock
running out, and what is left behind (no hold, no charge, the cart as it was)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from shop.catalog import services as catalog
from shop.checkout.models import Checkout, CheckoutStepLog, ShippingRate
from shop.checkout.tasks import resume_stuck_checkouts, run_checkout
from shop.core.models import OutboxEvent
from shop.inventory import services as inventory
from shop.orders import services as orders
from shop.payments import services as payments
from tests.factories_cart import sellable_sku
from tests.factories_checkout import (
    DECLINED,
    NO_FUNDS,
    available,
    cart_lines,
    checkout_row,
    hold_of,
    on_hand,
    payment_of,
    place,
    reference,
    shopper,
    shopper_with,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_emulator")]


def placed(who, payment_method="pm_card_visa", capture=None, **changes):
    with capture(execute=True):
        info = place(who, payment_method, **changes)
    return checkout_row(info)


def test_happy_path_reserves_prices_authorizes_commits_and_creates_the_order(django_capture_on_commit_callbacks):
    shirt, mug = sellable_sku(price="600.00", stock=5), sellable_sku(price="250.00", stock=5)
    who = shopper((shirt, 2), (mug, 1))

    checkout = placed(who, capture=django_capture_on_commit_callbacks)

    assert checkout.state == "completed"
    order = orders.get_order(checkout.order_id)
    assert order.number == checkout.order_number
    assert (order.status, order.user_id, order.payment_reference) == ("placed", who.user.id, reference(checkout.id))
    # 1450 of goods: standard shipping is free over 499, GST 18%
    assert (order.subtotal, order.shipping_total, order.tax_total, order.grand_total) == (
        Decimal("1450.00"),
        Decimal("0.00"),
        Decimal("261.00"),
        Decimal("1711.00"),
    )
    assert sorted((line.sku_id, line.quantity, line.unit_price) for line in order.lines) == sorted(
        [(shirt.id, 2, Decimal("600.00")), (mug.id, 1, Decimal("250.00"))]
    )
    assert all(line.warehouse_id for line in order.lines)
    payment = payments.get_payment(reference(checkout.id))
    assert (payment.status, payment.authorized.amount) == ("authorized", Decimal("1711.00"))
    assert hold_of(checkout.id) == "committed"
    assert (on_hand(shirt), available(shirt), on_hand(mug)) == (3, 3, 4)
    assert cart_lines(who) == {}
    assert OutboxEvent.objects.filter(event_type="orders.OrderCreated", payload__order_id=order.order_id).count() == 1
    journal = list(CheckoutStepLog.objects.filter(checkout=checkout).values_list("step", "action", "outcome"))
    assert journal == [
        ("reserve", "invoke", "succeeded"),
        ("price", "invoke", "succeeded"),
        ("authorize", "invoke", "succeeded"),
        ("commit", "invoke", "succeeded"),
        ("create_order", "invoke", "succeeded"),
    ]


@pytest.mark.parametrize(
    ("card", "code", "words"), [(DECLINED, "generic_decline", "declined"), (NO_FUNDS, "insufficient_funds", "funds")]
)
def test_a_declined_card_releases_the_hold_charges_nothing_and_keeps_the_cart(
    django_capture_on_commit_callbacks, card, code, words
):
    who = shopper_with(price="600.00", quantity=2, stock=5)
    sku = who.skus[0]

    checkout = placed(who, card, capture=django_capture_on_commit_callbacks)

    assert (checkout.state, checkout.failure_code) == ("failed", code)
    assert words in checkout.failure_message.lower()
    assert "not been charged" in checkout.failure_message
    assert checkout.order_id is None
    assert hold_of(checkout.id) == "released"
    assert payment_of(checkout.id) == "failed"
    assert (on_hand(sku), available(sku)) == (5, 5)
    assert cart_lines(who) == {sku.id: (2, Decimal("600.00"))}
    compensations = CheckoutStepLog.objects.filter(checkout=checkout, action="compensate")
    assert list(compensations.values_list("step", flat=True)) == ["authorize", "reserve"]


def test_a_price_changed_after_placing_stops_the_checkout_and_the_cart_shows_the_new_price(
    django_capture_on_commit_callbacks,
):
    who = shopper_with(price="600.00", quantity=1)
    sku = who.skus[0]
    with django_capture_on_commit_callbacks() as pending:  # placed; the saga has not run yet
        info = place(who)
    catalog.update_product(sku.product_id, price=Decimal("650.00"))
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()

    checkout = checkout_row(info)
    assert (checkout.state, checkout.failure_code) == ("failed", "price_changed")
    assert sku.product.name in checkout.failure_message
    assert "INR 600.00" in checkout.failure_message
    assert "INR 650.00" in checkout.failure_message
    assert hold_of(checkout.id) == "not_found"
    assert payment_of(checkout.id) is None
    assert cart_lines(who) == {sku.id: (1, Decimal("650.00"))}

    again = placed(who, capture=django_capture_on_commit_callbacks)  # now at the price shown
    assert again.state == "completed"
    assert orders.get_order(again.order_id).lines[0].unit_price == Decimal("650.00")


def test_shipping_or_tax_changed_after_placing_stops_the_checkout_before_charging(
    django_capture_on_commit_callbacks,
):
    who = shopper_with(price="600.00", quantity=1)
    with django_capture_on_commit_callbacks() as pending:  # placed at the total shown; the saga has not run
        info = place(who)
    shown = checkout_row(info).grand_total
    ShippingRate.objects.update(base_fee=F("base_fee") + 100, free_over=None)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()

    checkout = checkout_row(info)
    assert (checkout.state, checkout.failure_code) == ("failed", "total_changed")
    assert f"not INR {shown:,}" in checkout.failure_message
    assert "not been charged" in checkout.failure_message
    assert hold_of(checkout.id) == "released"  # the units held before pricing went back
    assert payment_of(checkout.id) is None


def test_stock_sold_out_after_placing_fails_with_the_product_named_and_no_charge(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00", quantity=2, stock=2)
    sku = who.skus[0]
    with django_capture_on_commit_callbacks() as pending:
        info = place(who)
    assert inventory.reserve("someone-else", [inventory.Line(sku.id, 1)]).ok
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()

    checkout = checkout_row(info)
    assert (checkout.state, checkout.failure_code) == ("failed", "out_of_stock")
    assert f"Only 1 of {sku.product.name} left" in checkout.failure_message
    assert payment_of(checkout.id) is None
    assert hold_of(checkout.id) == "not_found"
    assert cart_lines(who) == {sku.id: (2, Decimal("600.00"))}


def test_an_unsellable_item_at_run_time_stops_the_checkout_naming_it(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00")
    sku = who.skus[0]
    with django_capture_on_commit_callbacks() as pending:
        info = place(who)
    catalog.update_product(sku.product_id, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()

    checkout = checkout_row(info)
    assert (checkout.state, checkout.failure_code) == ("failed", "unavailable_sku")
    assert sku.product.name in checkout.failure_message
    assert payment_of(checkout.id) is None


def test_order_creation_failing_after_authorization_voids_the_payment_and_restocks(
    django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.CHECKOUT_MAX_ATTEMPTS = 1  # give up at the first error
    who = shopper_with(price="600.00", quantity=2, stock=5)
    sku = who.skus[0]

    def broken(**kwargs):
        raise ConnectionError("orders database unreachable")

    monkeypatch.setattr(orders, "create_order", broken)
    checkout = placed(who, capture=django_capture_on_commit_callbacks)

    assert (checkout.state, checkout.failure_code) == ("failed", "temporary_failure")
    assert payment_of(checkout.id) == "voided"
    assert hold_of(checkout.id) == "committed"  # sold, then restocked:
    assert (on_hand(sku), available(sku)) == (5, 5)
    assert cart_lines(who) == {sku.id: (2, Decimal("600.00"))}
    compensations = CheckoutStepLog.objects.filter(checkout=checkout, action="compensate")
    assert list(compensations.values_list("step", flat=True)) == ["create_order", "commit", "authorize", "reserve"]


def test_a_compensation_that_finds_the_order_placed_completes_the_checkout_instead(
    django_capture_on_commit_callbacks, monkeypatch, settings
):
    """The order was created but the answer was lost, and the step gave up: rolling back would
    void the payment of a real order, so the saga rolls forward."""
    settings.CHECKOUT_MAX_ATTEMPTS = 1
    who = shopper_with(price="600.00")
    real = orders.create_order

    def created_then_lost(**kwargs):
        real(**kwargs)
        raise ConnectionError("connection reset after COMMIT")

    monkeypatch.setattr(orders, "create_order", created_then_lost)
    checkout = placed(who, capture=django_capture_on_commit_callbacks)

    assert checkout.state == "completed"
    assert checkout.failure_code == ""
    assert orders.get_order(checkout.order_id).checkout_id == str(checkout.id)
    assert payment_of(checkout.id) == "authorized"
    assert hold_of(checkout.id) == "committed"
    assert cart_lines(who) == {}


def test_an_expired_checkout_is_compensated_by_the_resumer(django_capture_on_commit_callbacks, settings):
    who = shopper_with(price="600.00", quantity=1, stock=3)
    sku = who.skus[0]
    with django_capture_on_commit_callbacks() as pending:  # the message is lost: the saga never runs
        info = place(who)
    assert len(pending) == 1
    run_checkout_steps_until("authorize", info.checkout_id)
    Checkout.objects.filter(id=info.checkout_id).update(
        deadline=timezone.now() - timedelta(seconds=1), updated_at=timezone.now() - timedelta(minutes=1)
    )
    settings.CHECKOUT_STUCK_AFTER_SECONDS = 5

    assert resume_stuck_checkouts() == 1

    checkout = checkout_row(info)
    assert (checkout.state, checkout.failure_code) == ("failed", "expired")
    assert payment_of(checkout.id) == "voided"
    assert hold_of(checkout.id) == "released"
    assert available(sku) == 3


def run_checkout_steps_until(step_name: str, checkout_id: str) -> None:
    """Run the saga's steps up to and including ``step_name``, as a worker would before dying."""
    from shop.checkout.saga import advance
    from shop.checkout.steps import CHECKOUT_STEPS, STEP_NAMES

    steps = CHECKOUT_STEPS[: STEP_NAMES.index(step_name) + 1]
    advance(checkout_id, steps, lease=timedelta(seconds=30), max_attempts=3)
    Checkout.objects.filter(id=checkout_id).update(state="running")  # not finished: more steps follow


def test_running_a_finished_checkout_again_changes_nothing(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00")
    checkout = placed(who, capture=django_capture_on_commit_callbacks)

    assert run_checkout.delay(str(checkout.id)).get() is None

    assert Checkout.objects.get(id=checkout.id).state == "completed"
    assert CheckoutStepLog.objects.filter(checkout=checkout).count() == 5
