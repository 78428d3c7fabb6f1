"""Restocks: sold units come back on hand (a compensated checkout, a cancelled or returned order)
once per restock key, never more than a hold sold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum

from shop.core.models import OutboxEvent
from shop.inventory import services
from shop.inventory.models import HoldLine, LedgerEntry, StockLevel
from shop.inventory.services import Line, RestockLine
from tests.concurrency import run_concurrently
from tests.factories_inventory import WarehouseFactory, level, stock

TTL = timedelta(minutes=5)


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="BLR1", zone="south", priority=1)


def sold(reference: str, lines: list[Line]) -> services.HoldResult:
    assert services.reserve(reference, lines, TTL).ok
    result = services.commit(reference)
    assert result.ok
    return result


def ledger_agrees(sku_id: int, warehouse) -> bool:
    total = LedgerEntry.objects.filter(sku_id=sku_id, warehouse=warehouse).aggregate(total=Sum("delta"))["total"]
    return total == level(sku_id, warehouse).on_hand


@pytest.mark.django_db
def test_restocking_a_committed_hold_puts_every_sold_unit_back_with_ledger_and_event(warehouse):
    stock(1, warehouse, 5)
    stock(2, warehouse, 2)
    sold("checkout-1", [Line(1, 3), Line(2, 2)])

    result = services.restock("checkout-1-undo", None, "checkout compensated", hold_reference="checkout-1")

    assert (result.ok, result.created) == (True, True)
    assert sorted((line.sku_id, line.quantity) for line in result.lines) == [(1, 3), (2, 2)]
    assert (level(1, warehouse).on_hand, level(2, warehouse).on_hand) == (5, 2)
    assert ledger_agrees(1, warehouse)
    assert ledger_agrees(2, warehouse)
    entry = LedgerEntry.objects.get(sku_id=1, kind="restock")
    assert (entry.delta, entry.reference, entry.reason) == (3, "checkout-1-undo", "checkout compensated")
    event = OutboxEvent.objects.filter(event_type="inventory.StockAdjusted", payload__kind="restock").get()
    assert (event.payload["reference"], event.payload["sku_ids"]) == ("checkout-1-undo", [1, 2])
    assert services.hold_status("checkout-1").status == "committed"


@pytest.mark.django_db
def test_a_repeated_restock_changes_nothing(warehouse):
    stock(1, warehouse, 5)
    sold("checkout-1", [Line(1, 3)])
    services.restock("undo", None, "compensated", hold_reference="checkout-1")

    again = services.restock("undo", None, "compensated", hold_reference="checkout-1")

    assert (again.ok, again.created, again.lines) == (True, False, (RestockLine(1, warehouse.id, 3),))
    assert level(1, warehouse).on_hand == 5
    assert LedgerEntry.objects.filter(kind="restock").count() == 1


@pytest.mark.django_db
def test_the_same_restock_key_with_other_lines_is_a_conflict(warehouse):
    stock(1, warehouse, 5)
    sold("order-7", [Line(1, 3)])
    services.restock("return-1", [RestockLine(1, warehouse.id, 1)], "returned", hold_reference="order-7")

    with pytest.raises(services.ReferenceConflict):
        services.restock("return-1", [RestockLine(1, warehouse.id, 2)], "returned", hold_reference="order-7")


@pytest.mark.django_db
def test_partial_restocks_never_add_up_to_more_than_was_sold(warehouse):
    stock(1, warehouse, 5)
    sold("order-7", [Line(1, 3)])

    services.restock("cancel-line", [RestockLine(1, warehouse.id, 1)], "line cancelled", hold_reference="order-7")
    rest = services.restock("return-1", None, "returned", hold_reference="order-7")
    with pytest.raises(services.InvalidRequest, match="0 unit"):
        services.restock("return-2", [RestockLine(1, warehouse.id, 1)], "returned again", hold_reference="order-7")

    assert rest.lines == (RestockLine(1, warehouse.id, 2),)
    assert level(1, warehouse).on_hand == 5
    assert HoldLine.objects.get(hold__reference="order-7").restocked == 3


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["held", "released", "not_found"])
def test_a_hold_that_sold_nothing_restocks_nothing(warehouse, status):
    stock(1, warehouse, 5)
    if status != "not_found":
        services.reserve("checkout-1", [Line(1, 2)], TTL)
    if status == "released":
        services.release("checkout-1")

    result = services.restock("checkout-1-undo", None, "compensated", hold_reference="checkout-1")

    assert (result.ok, result.error) == (False, status)
    assert level(1, warehouse).on_hand == 5
    assert not LedgerEntry.objects.filter(kind="restock").exists()


@pytest.mark.django_db
def test_a_restock_without_a_hold_goes_to_the_named_warehouse(warehouse):
    stock(1, warehouse, 1)

    result = services.restock("return-9", [RestockLine(1, warehouse.id, 2)], "returned after the hold was pruned")

    assert (result.ok, result.created) == (True, True)
    assert level(1, warehouse).on_hand == 3
    with pytest.raises(services.InvalidRequest, match="warehouse"):
        services.restock("return-10", [RestockLine(1, 999_999, 1)], "returned")
    with pytest.raises(services.InvalidRequest):
        services.restock("return-11", None, "returned")
    with pytest.raises(services.InvalidRequest):
        services.restock("return-12", [RestockLine(1, warehouse.id, 0)], "returned")


@pytest.mark.django_db(transaction=True)
def test_concurrent_restocks_of_one_hold_put_back_exactly_what_was_sold(warehouse):
    stock(1, warehouse, 10)
    sold("order-1", [Line(1, 4)])
    barrier = threading.Barrier(8)
    results = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            # half repeat one key, half try their own: only 4 units may come back in all
            key = "undo" if index % 2 else f"undo-{index}"
            results.append(services.restock(key, None, "compensated", hold_reference="order-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert level(1, warehouse).on_hand == 10
    assert StockLevel.objects.get(sku_id=1).reserved == 0
    assert sum(line.quantity for r in results if r.created for line in r.lines) == 4
    assert ledger_agrees(1, warehouse)


# --- without a hold: the caller names the warehouses -------------------------------------------


@pytest.fixture
def sold_here(db):
    """Two units of SKU 1 sold from a warehouse that had five."""
    warehouse = WarehouseFactory()
    stock(1, warehouse, 5)
    assert services.reserve("checkout-a", [Line(1, 2)]).ok
    assert services.commit("checkout-a").ok
    return warehouse


def test_restock_puts_sold_units_back_with_a_ledger_entry_and_an_event(sold_here):
    result = services.restock("return-7", [RestockLine(1, sold_here.id, 2)], "return 7 of order 123")

    assert result.created is True
    assert (level(1, sold_here).on_hand, level(1, sold_here).reserved) == (5, 0)
    entry = LedgerEntry.objects.get(kind="restock")
    assert (entry.delta, entry.on_hand_after, entry.reference, entry.reason) == (
        2,
        5,
        "return-7",
        "return 7 of order 123",
    )
    assert LedgerEntry.objects.filter(sku_id=1).aggregate(total=Sum("delta"))["total"] == 5
    event = OutboxEvent.objects.filter(event_type="inventory.StockAdjusted").order_by("id").last()
    assert (event.payload["kind"], event.payload["sku_ids"]) == ("restock", [1])


def test_a_repeated_restock_without_a_hold_changes_nothing(sold_here):
    services.restock("cancel-9", [RestockLine(1, sold_here.id, 2)], "order cancelled")

    again = services.restock("cancel-9", [RestockLine(1, sold_here.id, 2)], "order cancelled")

    assert again.created is False
    assert level(1, sold_here).on_hand == 5
    assert LedgerEntry.objects.filter(kind="restock").count() == 1


def test_the_same_reference_with_other_lines_is_a_conflict(sold_here):
    services.restock("return-1", [RestockLine(1, sold_here.id, 1)], "return")

    with pytest.raises(services.ReferenceConflict):
        services.restock("return-1", [RestockLine(1, sold_here.id, 2)], "return")
    assert level(1, sold_here).on_hand == 4


@pytest.mark.parametrize(
    ("lines", "reason", "message"),
    [
        ([], "why", "at least one line"),
        ([RestockLine(1, 1, 0)], "why", "1 to"),
        ([RestockLine(1, 999_999, 1)], "why", "No warehouse"),
        ([RestockLine(1, 1, 1)], " ", "reason"),
    ],
)
def test_invalid_restocks_are_refused_and_change_nothing(sold_here, lines, reason, message):
    lines = [RestockLine(x.sku_id, sold_here.id if x.warehouse_id == 1 else x.warehouse_id, x.quantity) for x in lines]
    with pytest.raises(services.InvalidRequest, match=message):
        services.restock("return-2", lines, reason)
    assert level(1, sold_here).on_hand == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_restock_add_the_units_once():
    warehouse = WarehouseFactory()
    stock(1, warehouse, 3)

    results = run_concurrently(6, lambda i: services.restock("return-5", [RestockLine(1, warehouse.id, 2)], "return"))

    assert sorted(r.created for r in results) == [False] * 5 + [True]
    assert level(1, warehouse).on_hand == 5
    assert LedgerEntry.objects.filter(kind="restock").count() == 1
