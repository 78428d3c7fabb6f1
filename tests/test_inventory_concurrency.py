"""Concurrency on the real PostgreSQL: no oversell, no deadlock, for both locking strategies.

Each buyer is a thread with its own database connection, released together by
a barrier so the requests really overlap.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db.models import Sum

from shop.inventory import services
from shop.inventory.models import Hold, LedgerEntry, StockLevel
from shop.inventory.services import Line
from tests.concurrency import run_concurrently
from tests.factories_inventory import WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 24


@pytest.fixture(params=["pessimistic", "optimistic"])
def strategy(request, settings) -> str:
    settings.INVENTORY_LOCKING = request.param
    return request.param


def test_the_last_unit_goes_to_exactly_one_of_many_concurrent_buyers(strategy):
    warehouse = WarehouseFactory()
    stock(1, warehouse, 1)

    results = run_concurrently(BUYERS, lambda i: services.reserve(f"buyer-{i}", [Line(1, 1)]))

    winners = [r for r in results if r.ok]
    assert len(winners) == 1
    assert {r.error for r in results if not r.ok} == {"insufficient_stock"}
    row = level(1, warehouse)
    assert (row.on_hand, row.reserved) == (1, 1)
    assert Hold.objects.count() == 1


def test_n_units_and_many_buyers_sell_exactly_n_and_never_go_negative(strategy):
    units = 40
    north, south = WarehouseFactory(zone="north"), WarehouseFactory(zone="south")
    stock(7, north, units // 2)
    stock(7, south, units - units // 2)

    def buyer(index: int) -> int:
        rng = random.Random(index)
        bought = 0
        for attempt in range(100):
            quantity = rng.randint(1, 3)
            reference = f"buyer-{index}-{attempt}"
            result = services.reserve(reference, [Line(7, quantity)])
            if result.error == "insufficient_stock" and quantity == 1:
                return bought
            if result.ok:
                assert services.commit(reference).ok
                bought += quantity
        return bought

    sold = sum(run_concurrently(BUYERS, buyer))

    assert sold == units
    totals = StockLevel.objects.filter(sku_id=7).aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    assert totals == {"on_hand": 0, "reserved": 0}
    assert LedgerEntry.objects.filter(sku_id=7).aggregate(Sum("delta"))["delta__sum"] == 0
    assert -LedgerEntry.objects.filter(kind="sale").aggregate(Sum("delta"))["delta__sum"] == units


def test_buyers_of_the_same_skus_in_opposite_order_do_not_deadlock(strategy):
    east, west = WarehouseFactory(), WarehouseFactory()
    for sku_id in (1, 2):
        stock(sku_id, east, 1000)
        stock(sku_id, west, 1000)

    def buyer(index: int) -> int:
        order = [Line(1, 1), Line(2, 1)] if index % 2 else [Line(2, 1), Line(1, 1)]
        sold = 0
        for attempt in range(25):
            reference = f"b{index}-{attempt}"
            result = services.reserve(reference, order, timedelta(minutes=1))
            # Compare-and-swap may give up on rows this hot ("contention"); locking never does.
            assert result.ok or (strategy == "optimistic" and result.error == "contention"), result.message
            if result.ok and attempt % 2:
                services.release(reference)
            elif result.ok:
                sold += services.commit(reference).ok
        return sold

    # A deadlock would surface as psycopg's DeadlockDetected from one of the buyers.
    sold = sum(run_concurrently(16, buyer))

    assert StockLevel.objects.aggregate(Sum("reserved"))["reserved__sum"] == 0
    assert StockLevel.objects.aggregate(Sum("on_hand"))["on_hand__sum"] == 4000 - 2 * sold
    if strategy == "pessimistic":
        assert sold == 16 * 13


def test_concurrent_retries_of_one_reference_hold_once(strategy):
    warehouse = WarehouseFactory()
    stock(1, warehouse, 10)

    results = run_concurrently(12, lambda i: services.reserve("order-1", [Line(1, 3)]))

    assert all(r.ok for r in results)
    assert level(1, warehouse).reserved == 3
    assert Hold.objects.count() == 1


def test_a_commit_racing_the_sweeper_either_sells_or_expires_never_both(strategy):
    warehouse = WarehouseFactory()
    stock(1, warehouse, 100)
    for n in range(20):
        services.reserve(f"order-{n}", [Line(1, 1)])
    Hold.objects.update(expires_at=Hold.objects.first().created_at - timedelta(seconds=1))

    def actor(index: int) -> None:
        if index == 0:
            services.release_expired(batch=3)
        else:
            services.commit(f"order-{index - 1}")

    run_concurrently(21, actor)

    assert set(Hold.objects.values_list("status", flat=True)) == {"expired"}
    row = level(1, warehouse)
    assert (row.on_hand, row.reserved) == (100, 0)
