"""Helpers for cart tests: sellable SKUs with stock."""

from __future__ import annotations

from decimal import Decimal

from shop.catalog.models import Sku
from shop.inventory import services as inventory
from shop.inventory.models import Warehouse
from tests.factories import ProductFactory


def warehouse() -> Warehouse:
    return Warehouse.objects.get_or_create(code="TEST", defaults={"name": "Test", "zone": "south"})[0]


def sellable_sku(price: str = "499.00", stock: int = 20, **product_fields: object) -> Sku:
    """A SKU of a new product, with ``stock`` units available."""
    product = ProductFactory(price=Decimal(price), **product_fields)
    sku = product.skus.get()
    if stock:
        inventory.receive(sku.id, warehouse().id, stock, reason="test stock")
    return sku
