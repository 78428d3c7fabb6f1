"""Stock movements staff make (receipts, adjustments) and stock reads.

Every change of ``on_hand`` writes a ledger entry and publishes
``StockAdjusted`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from shop.core.events import publish
from shop.inventory.events import StockAdjusted
from shop.inventory.models import LedgerEntry, StockLevel, Warehouse
from shop.inventory.types import InvalidRequest, SkuStock, StockError, StockRow, WarehouseInfo

IN_STOCK = "in_stock"
LOW_STOCK = "low_stock"
OUT_OF_STOCK = "out_of_stock"
_RANK = {OUT_OF_STOCK: 0, LOW_STOCK: 1, IN_STOCK: 2}
MAX_MOVEMENT = 1_000_000
K = TypeVar("K")

# Positive movements create the row if needed; one statement, so concurrent
# receipts of a new (sku, warehouse) pair cannot collide.
ADD_SQL = """
INSERT INTO inventory_stocklevel AS s (sku_id, warehouse_id, on_hand, reserved, version, updated_at)
VALUES (%s, %s, %s, 0, 0, %s)
ON CONFLICT (sku_id, warehouse_id) DO UPDATE
   SET on_hand = s.on_hand + EXCLUDED.on_hand, version = s.version + 1, updated_at = EXCLUDED.updated_at
RETURNING s.on_hand, s.reserved
"""
# Negative movements never take on hand below what holds have reserved.
_TAKE_SQL = """
UPDATE inventory_stocklevel
   SET on_hand = on_hand + %s, version = version + 1, updated_at = %s
 WHERE sku_id = %s AND warehouse_id = %s AND on_hand + %s >= reserved
RETURNING on_hand, reserved
"""
# Seeding: rows for pairs that have none yet, in one statement per batch.
_ADD_NEW_SQL = """
INSERT INTO inventory_stocklevel (sku_id, warehouse_id, on_hand, reserved, version, updated_at)
SELECT sku_id, warehouse_id, on_hand, 0, 0, %s
  FROM unnest(%s::bigint[], %s::bigint[], %s::integer[]) AS t(sku_id, warehouse_id, on_hand)
ON CONFLICT (sku_id, warehouse_id) DO NOTHING
RETURNING sku_id, warehouse_id, on_hand
"""


def receive(
    sku_id: int, warehouse_id: int, quantity: int, *, reason: str, reference: str = "", staff_user_id: int | None = None
) -> StockRow:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_MOVEMENT:
        raise InvalidRequest(f"A receipt is 1 to {MAX_MOVEMENT} units.")
    return _move(sku_id, warehouse_id, quantity, LedgerEntry.Kind.RECEIPT, reason, reference, staff_user_id)


def adjust(sku_id: int, warehouse_id: int, delta: int, *, reason: str, staff_user_id: int | None = None) -> StockRow:
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_MOVEMENT:
        raise InvalidRequest(f"An adjustment is a non-zero number of units, at most {MAX_MOVEMENT} either way.")
    return _move(sku_id, warehouse_id, delta, LedgerEntry.Kind.ADJUSTMENT, reason, "", staff_user_id)


def _move(
    sku_id: int, warehouse_id: int, delta: int, kind: str, reason: str, reference: str, staff_user_id: int | None
) -> StockRow:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why: every stock movement needs a reason.")
    if not Warehouse.objects.filter(id=warehouse_id).exists():
        raise InvalidRequest(f"No warehouse with id {warehouse_id}.")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if delta > 0:
            cursor.execute(ADD_SQL, [sku_id, warehouse_id, delta, now])
        else:
            cursor.execute(_TAKE_SQL, [delta, now, sku_id, warehouse_id, delta])
        row = cursor.fetchone()
        if row is None:
            current = StockLevel.objects.filter(sku_id=sku_id, warehouse_id=warehouse_id).first()
            if current is None:
                raise StockError(f"There is no stock of SKU {sku_id} in that warehouse to take away.")
            raise StockError(
                f"Only {current.on_hand - current.reserved} of the {current.on_hand} units on hand are free "
                f"({current.reserved} are held for checkouts); cannot take away {-delta}."
            )
        on_hand, reserved = row
        LedgerEntry.objects.create(
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            kind=kind,
            delta=delta,
            on_hand_after=on_hand,
            reason=reason[:300],
            reference=reference[:100],
            staff_user_id=staff_user_id,
        )
        publish(
            StockAdjusted(
                sku_ids=[sku_id],
                changes=[{"sku_id": sku_id, "warehouse_id": warehouse_id, "delta": delta, "on_hand": on_hand}],
                kind=kind,
                reason=reason,
            )
        )
    return StockRow(sku_id, warehouse_id, on_hand, reserved, on_hand - reserved)


def receive_new(rows: Iterable[tuple[int, int, int]], *, reason: str) -> list[StockRow]:
    """Stock ``(sku_id, warehouse_id, on_hand)`` rows for pairs that have no row yet.

    Pairs that already exist are left alone, so running it again changes
    nothing (how ``seed_stock`` is idempotent). Creates ledger receipts and
    one ``StockAdjusted`` for the rows it made.
    """
    rows = list(rows)
    if not rows:
        return []
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ADD_NEW_SQL, [now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]])
        created = sorted(cursor.fetchall())
        if not created:
            return []
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                sku_id=sku_id,
                warehouse_id=warehouse_id,
                kind=LedgerEntry.Kind.RECEIPT,
                delta=on_hand,
                on_hand_after=on_hand,
                reason=reason,
            )
            for sku_id, warehouse_id, on_hand in created
            if on_hand
        )
        publish(
            StockAdjusted(
                sku_ids=sorted({sku_id for sku_id, _w, _q in created}),
                changes=[
                    {"sku_id": sku_id, "warehouse_id": warehouse_id, "delta": on_hand, "on_hand": on_hand}
                    for sku_id, warehouse_id, on_hand in created
                ],
                kind=LedgerEntry.Kind.RECEIPT,
                reason=reason,
            )
        )
    return [StockRow(sku_id, warehouse_id, on_hand, 0, on_hand) for sku_id, warehouse_id, on_hand in created]


# --- reads -------------------------------------------------------------------------------------


def status_for(available: int) -> str:
    if available <= 0:
        return OUT_OF_STOCK
    if available <= settings.INVENTORY_LOW_STOCK_THRESHOLD:
        return LOW_STOCK
    return IN_STOCK


def stock_of(sku_ids: Iterable[int]) -> dict[int, SkuStock]:
    """Each SKU's stock over active warehouses (one query); unknown SKUs have none."""
    ids = sorted({int(sku_id) for sku_id in sku_ids})
    if not ids:
        return {}
    sums = {
        row["sku_id"]: (row["on_hand"], row["reserved"])
        for row in StockLevel.objects.filter(sku_id__in=ids, warehouse__is_active=True)
        .values("sku_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    }
    result = {}
    for sku_id in ids:
        on_hand, reserved = sums.get(sku_id, (0, 0))
        result[sku_id] = SkuStock(sku_id, on_hand, reserved, on_hand - reserved, status_for(on_hand - reserved))
    return result


def group_availability(groups: Mapping[K, Iterable[int]]) -> dict[K, str]:
    """The best status over each group's SKUs (a product is in stock if any of its SKUs is)."""
    groups = {key: list(skus) for key, skus in groups.items()}
    stock = stock_of(sku_id for skus in groups.values() for sku_id in skus)
    return {
        key: max((stock[sku_id].status for sku_id in skus), key=_RANK.__getitem__, default=OUT_OF_STOCK)
        for key, skus in groups.items()
    }


def stock_rows(sku_id: int) -> list[StockRow]:
    return [
        StockRow(row.sku_id, row.warehouse_id, row.on_hand, row.reserved, row.available)
        for row in StockLevel.objects.filter(sku_id=sku_id).order_by("warehouse_id")
    ]


def warehouses(*, active_only: bool = True) -> list[WarehouseInfo]:
    queryset = Warehouse.objects.filter(is_active=True) if active_only else Warehouse.objects.all()
    return [WarehouseInfo(w.id, w.code, w.name, w.zone, w.priority, w.is_active) for w in queryset]
