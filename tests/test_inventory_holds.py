"""Holds: all-or-nothing reservations, allocation, idempotency, commit, release and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from shop.core.models import OutboxEvent
from shop.inventory import services
from shop.inventory.models import Hold, LedgerEntry, StockLevel
from shop.inventory.services import Line
from shop.inventory.tasks import prune_closed_holds
from tests.factories_inventory import WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db

STRATEGIES = ["pessimistic", "optimistic"]


@pytest.fixture(params=STRATEGIES)
def strategy(request, settings) -> str:
    settings.INVENTORY_LOCKING = request.param
    return request.param


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="BLR1", zone="south", priority=1)


def events_of(event_type: str) -> list[dict]:
    return [row.payload for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")]


def test_reserve_holds_every_line_and_reduces_availability(strategy, warehouse):
    stock(1, warehouse, 5)
    stock(2, warehouse, 3)

    result = services.reserve("order-1", [Line(1, 2), Line(2, 3)], timedelta(minutes=5))

    assert result.ok
    assert result.status == "held"
    assert {(line.sku_id, line.quantity) for line in result.lines} == {(1, 2), (2, 3)}
    assert (level(1, warehouse).on_hand, level(1, warehouse).reserved) == (5, 2)
    assert services.stock_of([1, 2])[2].available == 0
    [event] = events_of("inventory.StockReserved")
    assert event["reference"] == "order-1"
    assert event["sku_ids"] == [1, 2]


def test_reserve_is_all_or_nothing_across_skus(strategy, warehouse):
    stock(1, warehouse, 5)
    stock(2, warehouse, 1)

    result = services.reserve("order-1", [Line(1, 2), Line(2, 2), Line(3, 1)])

    assert not result.ok
    assert result.error == "insufficient_stock"
    assert [(s.sku_id, s.requested, s.available) for s in result.shortages] == [(2, 2, 1), (3, 1, 0)]
    assert "SKU 2 (1 of 2 available)" in result.message
    assert StockLevel.objects.aggregate(Sum("reserved"))["reserved__sum"] == 0
    assert not Hold.objects.exists()
    assert not events_of("inventory.StockReserved")


def test_repeated_skus_in_a_request_add_up(warehouse):
    stock(1, warehouse, 3)

    result = services.reserve("order-1", [Line(1, 2), Line(1, 2)])

    assert result.error == "insufficient_stock"
    assert result.shortages[0].requested == 4


@pytest.mark.parametrize(
    "lines",
    [[], [Line(1, 0)], [Line(1, -1)], [Line(1, 10**9)], [Line(0, 1)], [Line(1, True)]],
    ids=["no lines", "zero", "negative", "absurd", "bad sku", "bool"],
)
def test_reserve_refuses_requests_that_can_never_succeed(warehouse, lines):
    with pytest.raises(services.InvalidRequest):
        services.reserve("order-1", lines)


@pytest.mark.parametrize("reference", ["", "   ", "x" * 101])
def test_reserve_needs_a_sensible_reference(warehouse, reference):
    with pytest.raises(services.InvalidRequest):
        services.reserve(reference, [Line(1, 1)])


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1), timedelta(days=2)])
def test_reserve_refuses_a_ttl_outside_the_allowed_range(warehouse, ttl):
    with pytest.raises(services.InvalidRequest):
        services.reserve("order-1", [Line(1, 1)], ttl)


def test_reserve_is_idempotent_on_the_reference(strategy, warehouse):
    stock(1, warehouse, 5)

    first = services.reserve("order-1", [Line(1, 2)])
    again = services.reserve("order-1", [Line(1, 2)])

    assert again == first
    assert level(1, warehouse).reserved == 2
    assert len(events_of("inventory.StockReserved")) == 1


def test_reusing_a_reference_for_other_lines_is_refused(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])

    with pytest.raises(services.ReferenceConflict):
        services.reserve("order-1", [Line(1, 3)])


def test_a_rejected_reference_can_be_retried_once_stock_arrives(warehouse):
    assert services.reserve("order-1", [Line(1, 1)]).error == "insufficient_stock"
    stock(1, warehouse, 1)

    assert services.reserve("order-1", [Line(1, 1)]).ok


def test_commit_turns_the_hold_into_a_sale(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])

    result = services.commit("order-1")

    assert result.ok
    assert result.status == "committed"
    row = level(1, warehouse)
    assert (row.on_hand, row.reserved) == (3, 0)
    sale = LedgerEntry.objects.get(kind="sale")
    assert (sale.delta, sale.on_hand_after, sale.reference) == (-2, 3, "order-1")
    assert events_of("inventory.StockCommitted")[0]["lines"] == [
        {"sku_id": 1, "warehouse_id": warehouse.id, "quantity": 2}
    ]


def test_commit_is_idempotent(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])
    services.commit("order-1")

    again = services.commit("order-1")

    assert again.ok
    assert again.status == "committed"
    assert level(1, warehouse).on_hand == 3
    assert LedgerEntry.objects.filter(kind="sale").count() == 1
    assert len(events_of("inventory.StockCommitted")) == 1


def test_release_gives_the_units_back_and_is_idempotent(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])

    first = services.release("order-1")
    again = services.release("order-1")

    assert first.ok
    assert first.status == "released"
    assert again.ok
    assert again.status == "released"
    assert (level(1, warehouse).on_hand, level(1, warehouse).reserved) == (5, 0)
    [event] = events_of("inventory.StockReleased")
    assert event["reason"] == "released"


def test_a_released_hold_cannot_be_committed(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])
    services.release("order-1")

    result = services.commit("order-1")

    assert not result.ok
    assert result.error == "released"
    assert level(1, warehouse).on_hand == 5


def test_a_committed_hold_cannot_be_released(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])
    services.commit("order-1")

    result = services.release("order-1")

    assert not result.ok
    assert result.error == "committed"
    assert level(1, warehouse).on_hand == 3


def test_unknown_references(warehouse):
    assert services.commit("nope").error == "not_found"
    assert services.release("nope").ok  # nothing held under it: what release asks for
    assert services.hold_status("nope").status == "not_found"


def expire(reference: str) -> None:
    Hold.objects.filter(reference=reference).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_expired_hold_cannot_be_committed_and_its_units_come_back(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)], timedelta(minutes=5))
    expire("order-1")

    result = services.commit("order-1")

    assert not result.ok
    assert result.error == "expired"
    assert (level(1, warehouse).on_hand, level(1, warehouse).reserved) == (5, 0)
    assert Hold.objects.get(reference="order-1").status == "expired"
    assert events_of("inventory.StockReleased")[0]["reason"] == "expired"
    assert services.commit("order-1").error == "expired"


def test_the_sweeper_releases_expired_holds_only(warehouse):
    stock(1, warehouse, 10)
    services.reserve("old-1", [Line(1, 2)])
    services.reserve("old-2", [Line(1, 3)])
    services.reserve("fresh", [Line(1, 1)])
    expire("old-1")
    expire("old-2")

    released = services.release_expired()

    assert released == 2
    assert level(1, warehouse).reserved == 1
    assert dict(Hold.objects.values_list("reference", "status")) == {
        "old-1": "expired",
        "old-2": "expired",
        "fresh": "held",
    }
    assert sorted(e["reference"] for e in events_of("inventory.StockReleased")) == ["old-1", "old-2"]
    assert services.release_expired() == 0


def test_the_sweeper_works_in_batches(warehouse):
    stock(1, warehouse, 10)
    for n in range(5):
        services.reserve(f"old-{n}", [Line(1, 1)])
        expire(f"old-{n}")

    assert services.release_expired(batch=2) == 5
    assert level(1, warehouse).reserved == 0


def test_a_retried_reserve_after_expiry_reports_the_expiry(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])
    expire("order-1")

    result = services.reserve("order-1", [Line(1, 2)])

    assert not result.ok
    assert result.status == "expired"


def test_hold_status_reports_a_hold(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 2)])

    status = services.hold_status("order-1")

    assert status.ok
    assert status.status == "held"
    assert status.lines[0].quantity == 2


# --- allocation policy --------------------------------------------------------------------------


def test_one_warehouse_that_can_ship_everything_is_preferred(warehouse):
    near = warehouse
    far = WarehouseFactory(code="DEL1", zone="north", priority=2)
    stock(1, near, 5)
    stock(2, near, 1)
    stock(1, far, 5)
    stock(2, far, 5)

    result = services.reserve("order-1", [Line(1, 2), Line(2, 2)])

    assert {line.warehouse_id for line in result.lines} == {far.id}


def test_priority_breaks_ties_and_the_shoppers_zone_comes_first(warehouse):
    south = warehouse
    north = WarehouseFactory(code="DEL1", zone="north", priority=2)
    stock(1, south, 5)
    stock(1, north, 5)

    by_priority = services.reserve("order-1", [Line(1, 1)])
    by_zone = services.reserve("order-2", [Line(1, 1)], prefer_zone="north")

    assert by_priority.lines[0].warehouse_id == south.id
    assert by_zone.lines[0].warehouse_id == north.id


def test_lines_spread_over_the_fewest_warehouses_and_split_only_when_needed(warehouse):
    a = warehouse
    b = WarehouseFactory(code="B", priority=2)
    c = WarehouseFactory(code="C", priority=3)
    stock(1, a, 1)
    stock(2, a, 1)
    stock(1, b, 10)
    stock(2, b, 10)
    stock(3, c, 4)
    stock(3, a, 4)
    stock(4, a, 2)
    stock(4, c, 2)

    result = services.reserve("order-1", [Line(1, 5), Line(2, 5), Line(3, 4), Line(4, 3)])

    assert result.ok
    placed = {(line.sku_id, line.warehouse_id): line.quantity for line in result.lines}
    # b ships 1 and 2 in full, a ships 3 in full; 4 fits nowhere whole, so it is split, a (already used) first.
    assert placed == {(1, b.id): 5, (2, b.id): 5, (3, a.id): 4, (4, a.id): 2, (4, c.id): 1}


def test_inactive_warehouses_are_never_allocated_from(warehouse):
    closed = WarehouseFactory(code="OLD", priority=0, is_active=False)
    stock(1, closed, 10)
    stock(1, warehouse, 1)

    assert services.reserve("order-1", [Line(1, 2)]).error == "insufficient_stock"
    assert services.reserve("order-2", [Line(1, 1)]).lines[0].warehouse_id == warehouse.id


# --- stock movements ---------------------------------------------------------------------------


def test_receive_and_adjust_keep_an_append_only_ledger(warehouse):
    services.receive(1, warehouse.id, 10, reason="delivery", reference="PO-7", staff_user_id=3)
    row = services.adjust(1, warehouse.id, -4, reason="damaged in storage")

    assert (row.on_hand, row.available) == (6, 6)
    entries = list(LedgerEntry.objects.order_by("id").values_list("kind", "delta", "on_hand_after", "reason"))
    assert entries == [("receipt", 10, 10, "delivery"), ("adjustment", -4, 6, "damaged in storage")]
    assert LedgerEntry.objects.aggregate(Sum("delta"))["delta__sum"] == level(1, warehouse).on_hand
    assert [e["kind"] for e in events_of("inventory.StockAdjusted")] == ["receipt", "adjustment"]
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_ledgerentry SET delta = 100")


def test_an_adjustment_cannot_take_away_held_units(warehouse):
    stock(1, warehouse, 5)
    services.reserve("order-1", [Line(1, 4)])

    with pytest.raises(services.StockError, match="4 are held"):
        services.adjust(1, warehouse.id, -2, reason="count")

    assert level(1, warehouse).on_hand == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w: services.adjust(1, w.id, 0, reason="x"), "non-zero"),
        (lambda w: services.adjust(1, w.id, 5, reason="  "), "reason"),
        (lambda w: services.receive(1, w.id, -5, reason="x"), "receipt"),
        (lambda w: services.receive(1, 999999, 5, reason="x"), "No warehouse"),
        (lambda w: services.adjust(9, w.id, -1, reason="x"), "no stock"),
    ],
)
def test_bad_stock_movements_are_refused(warehouse, call, message):
    with pytest.raises(services.InventoryError, match=message):
        call(warehouse)
    assert not LedgerEntry.objects.exists()


def test_availability_statuses_and_the_best_over_a_group(settings, warehouse):
    settings.INVENTORY_LOW_STOCK_THRESHOLD = 3
    stock(1, warehouse, 10)
    stock(2, warehouse, 3)

    stock_levels = services.stock_of([1, 2, 3])

    assert [stock_levels[s].status for s in (1, 2, 3)] == ["in_stock", "low_stock", "out_of_stock"]
    assert services.group_availability({"a": [2, 3], "b": [3], "c": [1, 2], "d": []}) == {
        "a": "low_stock",
        "b": "out_of_stock",
        "c": "in_stock",
        "d": "out_of_stock",
    }


def test_closed_holds_are_pruned_after_the_retention_period(warehouse):
    stock(1, warehouse, 5)
    for reference in ("old", "recent", "open"):
        services.reserve(reference, [Line(1, 1)])
    services.commit("old")
    services.release("recent")
    Hold.objects.filter(reference="old").update(closed_at=timezone.now() - timedelta(days=40))

    assert prune_closed_holds() == 1

    assert sorted(Hold.objects.values_list("reference", flat=True)) == ["open", "recent"]
    assert LedgerEntry.objects.filter(reference="old").exists()  # the sale stays on record
