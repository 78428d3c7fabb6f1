"""Every stock movement of the order lifecycle, in one place: the calls to inventory.

- A cancelled order's units: ``release`` of the checkout's hold (``checkout-<checkout
  id>``), or, when the checkout had already committed it, ``restock`` of the sold units
  under ``cancel-<order id>``.
- A returned order's units: ``restock`` under ``return-<return id>``.

``restock`` is idempotent on its reference, so every caller may repeat it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from shop.inventory import services as inventory

log = logging.getLogger(__name__)

Line = inventory.Line
RestockLine = inventory.RestockLine
InventoryError = inventory.InventoryError


def hold_reference(checkout_id: str) -> str:
    """The inventory hold the checkout made for this order (``checkout-<checkout id>``)."""
    return f"checkout-{checkout_id}"


def put_back_cancelled(
    order_id: int, order_number: str, checkout_id: str, lines: Iterable[tuple[int, int | None, int]]
) -> str:
    """A cancelled order's units become sellable again: its hold is released, or, when the
    checkout had already committed it, the sold units are restocked. Repeats are no-ops.
    ``lines`` are (sku_id, warehouse_id, quantity). Returns what was done."""
    released = inventory.release(hold_reference(checkout_id))
    if released.ok:
        return "released"
    if released.status != inventory.COMMITTED:
        log.warning("order %s: hold %s is %s; nothing to put back", order_number, released.reference, released.status)
        return released.status
    restock(f"cancel-{order_id}", lines, f"order {order_number} cancelled")
    return "restocked"


def restock(reference: str, lines: Iterable[tuple[int, int | None, int]], reason: str) -> bool:
    """Put sold units (sku_id, warehouse_id, quantity) back on hand once per ``reference``;
    True if it happened now. Units of unknown origin (no warehouse) cannot be restocked
    and are logged for staff."""
    lines = list(lines)
    known = [RestockLine(sku, warehouse, quantity) for sku, warehouse, quantity in lines if warehouse is not None]
    if len(known) < len(lines):
        log.error("%s: some units have no warehouse and were not restocked", reference)
    if not known:
        return False
    return inventory.restock(reference, known, reason).created


def on_hand(sku_ids: Iterable[int]) -> dict[int, int]:
    return {sku: stock.on_hand for sku, stock in inventory.stock_of(sku_ids).items()}


def available(sku_ids: Iterable[int]) -> dict[int, int]:
    return {sku: stock.available for sku, stock in inventory.stock_of(sku_ids).items()}
