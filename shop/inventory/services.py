"""Inventory's published interface: the source of truth for stock.

Holds, for the checkout saga::

    result = reserve("order-42", [Line(sku_id=7, quantity=2)], ttl=timedelta(minutes=15))
    if not result.ok:   # result.error == "insufficient_stock": result.shortages says which SKU and how many
        ...
    commit("order-42")  # payment authorized: the hold becomes a sale
    release("order-42") # payment failed or cancelled: the units go back
    restock("order-42-undo", None, "checkout compensated", hold_reference="order-42")  # sold units come back

All three are idempotent on ``reference`` (retry them freely), all-or-nothing
across lines, and return a :class:`HoldResult`; a hold past its expiry can no
longer be committed. Business outcomes come back as results; only caller bugs
raise (:class:`InvalidRequest`, :class:`ReferenceConflict`).

Reads (:func:`stock_of`, :func:`group_availability`) and staff movements
(:func:`receive`, :func:`adjust`) take and return SKU ids and plain values.
:func:`restock` puts sold units back on hand (a compensated checkout, a cancelled or
returned order), once per restock reference; with ``hold_reference``, never more than
that hold sold.
"""

from shop.inventory.holds import commit, hold_status, release, release_expired, reserve
from shop.inventory.restocks import restock
from shop.inventory.stock import (
    IN_STOCK,
    LOW_STOCK,
    OUT_OF_STOCK,
    adjust,
    group_availability,
    receive,
    status_for,
    stock_of,
    stock_rows,
    warehouses,
)
from shop.inventory.types import (
    COMMITTED,
    EXPIRED,
    HELD,
    NOT_FOUND,
    REJECTED,
    RELEASED,
    HeldLine,
    HoldResult,
    InvalidRequest,
    InventoryError,
    Line,
    ReferenceConflict,
    RestockLine,
    RestockResult,
    Shortage,
    SkuStock,
    StockError,
    StockRow,
    WarehouseInfo,
)

__all__ = [
    "COMMITTED",
    "EXPIRED",
    "HELD",
    "IN_STOCK",
    "LOW_STOCK",
    "NOT_FOUND",
    "OUT_OF_STOCK",
    "REJECTED",
    "RELEASED",
    "HeldLine",
    "HoldResult",
    "InvalidRequest",
    "InventoryError",
    "Line",
    "ReferenceConflict",
    "RestockLine",
    "RestockResult",
    "Shortage",
    "SkuStock",
    "StockError",
    "StockRow",
    "WarehouseInfo",
    "adjust",
    "commit",
    "group_availability",
    "hold_status",
    "receive",
    "release",
    "release_expired",
    "reserve",
    "restock",
    "status_for",
    "stock_of",
    "stock_rows",
    "warehouses",
]
