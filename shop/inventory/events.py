"""Events inventory publishes through the outbox.

Every one carries ``sku_ids``, the SKUs whose availability may have changed,
so a projection (the catalog's availability, search) can subscribe to all
four with one handler and re-read current stock through
``shop.inventory.services``. ``lines``/``changes`` are lists of plain dicts:
``{"sku_id", "warehouse_id", "quantity"}`` for holds and
``{"sku_id", "warehouse_id", "delta", "on_hand"}`` for adjustments.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shop.core.events import Event


@dataclass(frozen=True)
class StockReserved(Event):
    event_type = "inventory.StockReserved"
    reference: str
    sku_ids: list[int]
    lines: list[dict[str, Any]]
    expires_at: datetime


@dataclass(frozen=True)
class StockCommitted(Event):
    """A hold became a sale: on hand went down by its lines."""

    event_type = "inventory.StockCommitted"
    reference: str
    sku_ids: list[int]
    lines: list[dict[str, Any]]


@dataclass(frozen=True)
class StockReleased(Event):
    """A hold gave its units back; ``reason`` is ``released`` (asked for) or ``expired`` (the sweeper)."""

    event_type = "inventory.StockReleased"
    reference: str
    sku_ids: list[int]
    lines: list[dict[str, Any]]
    reason: str


@dataclass(frozen=True)
class StockAdjusted(Event):
    """Stock received, adjusted by staff (or seeded), or sold units restocked: ``kind`` is the
    ledger kind; ``reference`` names a restock (``checkout-…-undo``, ``return-…``)."""

    event_type = "inventory.StockAdjusted"
    sku_ids: list[int]
    changes: list[dict[str, Any]]
    kind: str
    reason: str
    reference: str = ""
