"""The plain values inventory's services take and return (re-exported by ``services``).

Callers (the checkout saga, the cart, the catalog's projection) see sku ids,
warehouse ids and these frozen dataclasses, never models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class InventoryError(Exception):
    """A request inventory refuses; ``code`` is stable for API error bodies."""

    code = "inventory_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequest(InventoryError):
    """The caller sent something that can never succeed (no lines, quantity 0, ...)."""

    code = "invalid"


class ReferenceConflict(InventoryError):
    """A reference was reused for different lines: idempotency keys name one request."""

    code = "reference_conflict"


class StockError(InventoryError):
    """A stock movement that would break an invariant (on hand below what is held)."""

    code = "stock_error"


@dataclass(frozen=True)
class Line:
    """One requested SKU and quantity."""

    sku_id: int
    quantity: int


@dataclass(frozen=True)
class HeldLine:
    """Part of a hold: ``quantity`` units of a SKU held in one warehouse."""

    sku_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class Shortage:
    """Why a requested line could not be held."""

    sku_id: int
    requested: int
    available: int
    reason: str = "insufficient_stock"


# Hold statuses as the results report them. ``rejected`` and ``not_found`` are never stored.
HELD = "held"
COMMITTED = "committed"
RELEASED = "released"
EXPIRED = "expired"
REJECTED = "rejected"
NOT_FOUND = "not_found"


@dataclass(frozen=True)
class HoldResult:
    """The outcome of ``reserve``, ``commit`` or ``release`` for one reference.

    ``ok`` says whether the call achieved what it asked for. When it did not,
    ``error`` is a stable code (``insufficient_stock``, ``contention``,
    ``expired``, ``released``, ``committed``, ``not_found``) and ``shortages``
    names each line that could not be held and how much was available.
    """

    reference: str
    ok: bool
    status: str
    error: str = ""
    message: str = ""
    lines: tuple[HeldLine, ...] = ()
    shortages: tuple[Shortage, ...] = ()
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RestockLine:
    """Units of a SKU to put back on hand in one warehouse (where they were sold from)."""

    sku_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class RestockResult:
    """The outcome of ``restock`` for one restock reference.

    ``created`` is False when the reference had restocked already (a repeat: nothing
    changed now, ``lines`` are what it restocked then). When ``ok`` is False nothing was
    restocked and ``error`` says why: the hold is ``held``, ``released``, ``expired`` or
    ``not_found`` (never sold, so there is nothing to put back).
    """

    reference: str
    ok: bool
    created: bool = False
    lines: tuple[RestockLine, ...] = ()
    error: str = ""
    message: str = ""


@dataclass(frozen=True)
class SkuStock:
    """A SKU's stock summed over active warehouses."""

    sku_id: int
    on_hand: int
    reserved: int
    available: int
    status: str  # "in_stock" | "low_stock" | "out_of_stock"


@dataclass(frozen=True)
class StockRow:
    """One (sku, warehouse) stock level after a movement."""

    sku_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class WarehouseInfo:
    warehouse_id: int
    code: str
    name: str
    zone: str
    priority: int
    is_active: bool
