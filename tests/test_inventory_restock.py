"""Restock: sold units come back on hand (cancelled or returned orders), once per reference."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from shop.core.models import OutboxEvent
from shop.inventory import services
from shop.inventory.models import LedgerEntry
from shop.inventory.services import Line, RestockLine
from tests.concurrency import run_concurrently
from tests.factories_inventory import WarehouseFactory, level, stock


@pytest.fixture
def sold(db):
    """Two units of SKU 1 sold from a warehouse that had five."""
    warehouse = WarehouseFactory()
    stock(1, warehouse, 5)
    assert services.reserve("checkout-a", [Line(1, 2)]).ok
    assert services.commit("checkout-a").ok
    return warehouse


def test_restock_puts_sold_units_back_with_a_ledger_entry_and_an_event(sold):
    result = services.restock("return-7", [RestockLine(1, sold.id, 2)], "return 7 of order 123")

    assert result.created is True
    assert (level(1, sold).on_hand, level(1, sold).reserved) == (5, 0)
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


def test_a_repeated_restock_changes_nothing(sold):
    services.restock("cancel-9", [RestockLine(1, sold.id, 2)], "order cancelled")

    again = services.restock("cancel-9", [RestockLine(1, sold.id, 2)], "order cancelled")

    assert again.created is False
    assert level(1, sold).on_hand == 5
    assert LedgerEntry.objects.filter(kind="restock").count() == 1


def test_the_same_reference_with_other_lines_is_a_conflict(sold):
    services.restock("return-1", [RestockLine(1, sold.id, 1)], "return")

    with pytest.raises(services.ReferenceConflict):
        services.restock("return-1", [RestockLine(1, sold.id, 2)], "return")
    assert level(1, sold).on_hand == 4


@pytest.mark.parametrize(
    ("lines", "reason", "message"),
    [
        ([], "why", "at least one line"),
        ([RestockLine(1, 1, 0)], "why", "1 to"),
        ([RestockLine(1, 999_999, 1)], "why", "No warehouse"),
        ([RestockLine(1, 1, 1)], " ", "reason"),
    ],
)
def test_invalid_restocks_are_refused_and_change_nothing(sold, lines, reason, message):
    lines = [RestockLine(x.sku_id, sold.id if x.warehouse_id == 1 else x.warehouse_id, x.quantity) for x in lines]
    with pytest.raises(services.InvalidRequest, match=message):
        services.restock("return-2", lines, reason)
    assert level(1, sold).on_hand == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_restock_add_the_units_once():
    warehouse = WarehouseFactory()
    stock(1, warehouse, 3)

    results = run_concurrently(6, lambda i: services.restock("return-5", [RestockLine(1, warehouse.id, 2)], "return"))

    assert sorted(r.created for r in results) == [False] * 5 + [True]
    assert level(1, warehouse).on_hand == 5
    assert LedgerEntry.objects.filter(kind="restock").count() == 1
