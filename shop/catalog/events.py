"""Events the catalog publishes. Consumers re-read current state through
``shop.catalog.services`` rather than trusting payloads to be the latest."""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class ProductCreated(Event):
    event_type = "catalog.ProductCreated"
    product_id: int
    category_id: int


@dataclass(frozen=True)
class ProductUpdated(Event):
    """Any change to a product or its SKUs/images; ``fields`` names what changed."""

    event_type = "catalog.ProductUpdated"
    product_id: int
    fields: list[str]


@dataclass(frozen=True)
class ProductPriceChanged(Event):
    """A product's base price or one SKU's override changed (``sku_id`` then set)."""

    event_type = "catalog.ProductPriceChanged"
    product_id: int
    sku_id: int | None
    old_price: Decimal | None
    new_price: Decimal | None
    currency: str


@dataclass(frozen=True)
class CategoryChanged(Event):
    """A category was created, renamed, moved, (de)activated or had its schema changed."""

    event_type = "catalog.CategoryChanged"
    category_id: int
