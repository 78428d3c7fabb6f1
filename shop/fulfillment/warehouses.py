"""The warehouse adapter interface: how pick-and-pack instructions reach a warehouse system.

A warehouse management system (WMS) integration implements :class:`WarehouseAdapter`
and is named in ``FULFILLMENT_WAREHOUSE_ADAPTERS``; staff choose the adapter of each
warehouse in the admin (``WarehouseConnection``). Instructions are idempotent on their
reference (``SHP-<id>``, ``RET-<return id>``): we may send one twice after a crash.

The warehouse reports back through ``shop.fulfillment.services``:
``warehouse_picked(reference)``, ``warehouse_packed(reference, weight_grams)``,
``warehouse_handed_over(reference)`` and ``warehouse_received_return(reference)``
(a real WMS would call them from its webhook or a polling job). The built-in
adapter is ``shop.fulfillment.simulated_warehouse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from shop.fulfillment.models import WarehouseConnection


@dataclass(frozen=True)
class PickLine:
    sku_id: int
    sku_code: str
    product_name: str
    quantity: int


@dataclass(frozen=True)
class PickInstruction:
    reference: str
    warehouse_id: int | None
    order_number: str
    service: str
    ship_to: dict[str, Any]
    lines: tuple[PickLine, ...]


@dataclass(frozen=True)
class ReturnInstruction:
    reference: str
    warehouse_id: int | None
    order_number: str
    tracking_number: str
    lines: tuple[PickLine, ...]


class WarehouseAdapter(Protocol):
    code: str

    def send_pick_instructions(self, instruction: PickInstruction) -> None: ...

    def cancel_pick(self, reference: str) -> None: ...

    def expect_return(self, instruction: ReturnInstruction) -> None: ...


@cache
def _load(path: str) -> WarehouseAdapter:
    return import_string(path)()


def adapter_for(warehouse_id: int | None) -> WarehouseAdapter:
    code = settings.FULFILLMENT_DEFAULT_WAREHOUSE_ADAPTER
    if warehouse_id is not None:
        row = WarehouseConnection.objects.filter(warehouse_id=warehouse_id).values_list("adapter", flat=True).first()
        code = row or code
    return _load(settings.FULFILLMENT_WAREHOUSE_ADAPTERS[code])


def ship_from(warehouse_id: int | None) -> dict[str, Any]:
    """The warehouse's address on labels (staff set it per warehouse; a default otherwise)."""
    if warehouse_id is not None:
        row = WarehouseConnection.objects.filter(warehouse_id=warehouse_id).values_list("ship_from", flat=True).first()
        if row:
            return row
    return settings.FULFILLMENT_DEFAULT_SHIP_FROM
