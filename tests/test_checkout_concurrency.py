"""Concurrent submissions on the real Postgres: threads, each its own connection, each running
the saga after its own commit. A double click or retry storm is one checkout, one order, one
charge; two customers racing for the last unit end with one order and one clean failure."""

from __future__ import annotations

import pytest

from shop.checkout import services
from shop.checkout.models import Checkout
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.concurrency import run_concurrently
from tests.factories_cart import sellable_sku
from tests.factories_checkout import (
    available,
    default_pricing,
    hold_of,
    on_hand,
    order_body,
    payment_of,
    shopper,
)
from tests.factories_payments import intents_at_processor

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _pricing() -> None:
    default_pricing()


def test_the_same_key_from_many_threads_is_one_checkout_one_order_one_charge(stripe_emulator):
    sku = sellable_sku(price="600.00", stock=10)
    who = shopper((sku, 2))

    results = run_concurrently(8, lambda _i: services.start_checkout(who.user.id, "double-click", order_body()))

    assert len({info.checkout_id for info, _created in results}) == 1
    assert sum(created for _info, created in results) == 1
    checkout = Checkout.objects.get()
    assert checkout.state == "completed"
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert len(intents_at_processor(stripe_emulator, f"checkout-{checkout.id}")) == 1
    assert (on_hand(sku), available(sku)) == (8, 8)


def test_two_customers_racing_for_the_last_unit_get_one_order_and_one_clean_failure(stripe_emulator):
    sku = sellable_sku(price="600.00", stock=1)
    buyers = [shopper((sku, 1)) for _ in range(2)]

    def buy(index: int) -> str:
        try:
            return services.start_checkout(buyers[index].user.id, f"buy-{index}", order_body())[0].checkout_id
        except services.CheckoutError as refused:  # the winner's hold came first: refused upfront
            return refused.code

    outcomes = run_concurrently(2, buy)

    assert Order.objects.count() == 1
    assert Checkout.objects.filter(state="completed").count() == 1
    assert Payment.objects.count() == 1
    for loser in Checkout.objects.exclude(state="completed"):  # when both got past the upfront check
        assert (loser.state, loser.failure_code) == ("failed", "out_of_stock")
        assert f"{sku.product.name} is out of stock" in loser.failure_message
        assert (hold_of(loser.id), payment_of(loser.id)) == ("not_found", None)
    assert len([o for o in outcomes if o == "out_of_stock"]) + Checkout.objects.count() == 2
    assert (on_hand(sku), available(sku)) == (0, 0)


def test_two_sagas_racing_for_the_last_unit_one_wins_the_hold_the_other_compensates(stripe_emulator, monkeypatch):
    """Both checkouts accepted (stock looked fine); their sagas then race for the hold."""
    sku = sellable_sku(price="600.00", stock=1)
    buyers = [shopper((sku, 1)) for _ in range(2)]
    monkeypatch.setattr(services.run_checkout, "delay", lambda checkout_id: None)  # run them below, together
    ids = [services.start_checkout(buyer.user.id, "buy", order_body())[0].checkout_id for buyer in buyers]

    run_concurrently(2, lambda i: services.run_checkout.apply(args=[ids[i]]).result)

    states = sorted(Checkout.objects.values_list("state", "failure_code"))
    assert states == [("completed", ""), ("failed", "out_of_stock")]
    loser = Checkout.objects.get(state="failed")
    assert (hold_of(loser.id), payment_of(loser.id)) == ("not_found", None)
    assert len(intents_at_processor(stripe_emulator, f"checkout-{loser.id}")) == 0
    assert Order.objects.count() == 1
    assert (on_hand(sku), available(sku)) == (0, 0)
