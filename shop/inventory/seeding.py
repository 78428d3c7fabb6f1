"""Demo stock: a few warehouses in different zones and a deterministic stock
level for every catalog SKU, derived from a hash of its code.

About 8% of SKUs are out of stock, 12% low (1 to 3 units) and the rest in
stock in one to three warehouses, so the storefront shows every state. The
same code always gets the same stock, on any machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from shop.catalog import services as catalog
from shop.inventory import stock
from shop.inventory.models import Warehouse

DEMO_WAREHOUSES = [
    # code, name, zone, address, priority
    ("BLR1", "Bengaluru fulfilment centre", "south", "Hoskote Industrial Area, Bengaluru, Karnataka 562114", 1),
    ("DEL1", "Delhi NCR fulfilment centre", "north", "Sector 37, Gurugram, Haryana 122001", 2),
    ("BOM1", "Mumbai fulfilment centre", "west", "Vashere, Bhiwandi, Maharashtra 421302", 3),
    ("CCU1", "Kolkata fulfilment centre", "east", "Uluberia Industrial Growth Centre, West Bengal 711316", 4),
]
OUT_OF_STOCK_SHARE = 0.08
LOW_STOCK_SHARE = 0.12
REASON = "demo stock (manage.py seed_stock)"


@dataclass
class SeedStats:
    skus: int = 0
    rows_created: int = 0
    out_of_stock: int = 0
    low_stock: int = 0
    in_stock: int = 0

    def summary(self) -> str:
        return (
            f"{self.skus} SKUs seen, {self.rows_created} stock rows created "
            f"(new SKUs: {self.in_stock} in stock, {self.low_stock} low, {self.out_of_stock} out of stock)"
        )


def demo_warehouses() -> list[int]:
    """The demo warehouses' ids, creating any that are missing (staff edits are kept)."""
    ids = []
    for code, name, zone, address, priority in DEMO_WAREHOUSES:
        warehouse, _ = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "zone": zone, "address": address, "priority": priority}
        )
        ids.append(warehouse.id)
    return ids


def stock_plan(code: str, warehouse_ids: list[int]) -> list[tuple[int, int]]:
    """``(warehouse_id, on_hand)`` for a SKU, a pure function of its code."""
    digest = hashlib.blake2b(code.encode(), digest_size=16).digest()
    roll = int.from_bytes(digest[:4], "big") / 2**32
    start = digest[4] % len(warehouse_ids)
    if roll < OUT_OF_STOCK_SHARE:
        return [(warehouse_ids[start], 0)]
    if roll < OUT_OF_STOCK_SHARE + LOW_STOCK_SHARE:
        return [(warehouse_ids[start], 1 + digest[5] % 3)]
    spread = 1 + digest[6] % min(3, len(warehouse_ids))
    return [(warehouse_ids[(start + i) % len(warehouse_ids)], 10 + digest[7 + i] % 191) for i in range(spread)]


def seed(batch_size: int = 500, progress: Callable[[int], None] | None = None) -> SeedStats:
    """Stock every catalog SKU that has no stock row yet; safe to run again."""
    warehouse_ids = demo_warehouses()
    stats = SeedStats()
    sku_ids: list[int] = []
    for product in catalog.iter_products(batch_size=batch_size):
        sku_ids.extend(product.sku_ids)
        if len(sku_ids) >= batch_size:
            _seed_batch(sku_ids, warehouse_ids, stats)
            if progress:
                progress(len(sku_ids))
            sku_ids = []
    if sku_ids:
        _seed_batch(sku_ids, warehouse_ids, stats)
        if progress:
            progress(len(sku_ids))
    return stats


def _seed_batch(sku_ids: list[int], warehouse_ids: list[int], stats: SeedStats) -> None:
    skus = catalog.get_skus(sku_ids)
    rows = [
        (sku_id, warehouse_id, on_hand)
        for sku_id, info in sorted(skus.items())
        for warehouse_id, on_hand in stock_plan(info.code, warehouse_ids)
    ]
    created = stock.receive_new(rows, reason=REASON)
    stats.skus += len(skus)
    stats.rows_created += len(created)
    totals: dict[int, int] = {}
    for row in created:
        totals[row.sku_id] = totals.get(row.sku_id, 0) + row.on_hand
    for total in totals.values():
        status = stock.status_for(total)
        if status == stock.OUT_OF_STOCK:
            stats.out_of_stock += 1
        elif status == stock.LOW_STOCK:
            stats.low_stock += 1
        else:
            stats.in_stock += 1
