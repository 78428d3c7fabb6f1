"""Factories and helpers for inventory tests."""

from __future__ import annotations

import factory

from shop.inventory import services
from shop.inventory.models import StockLevel, Warehouse


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    zone = "south"
    priority = factory.Sequence(lambda n: n + 1)


def stock(sku_id: int, warehouse: Warehouse, on_hand: int) -> None:
    """Receive ``on_hand`` units (the way staff would), so the ledger agrees."""
    services.receive(sku_id, warehouse.id, on_hand, reason="test stock")


def level(sku_id: int, warehouse: Warehouse) -> StockLevel:
    return StockLevel.objects.get(sku_id=sku_id, warehouse=warehouse)
