"""Building a small searchable catalog for search tests: products through the
catalog factories, projected into search documents by the real projection."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import TestCase

from shop.catalog.models import Category, Product
from shop.search import dictionaries, projection
from tests.factories import BrandFactory, CategoryFactory, ProductFactory


def category_path(*names: str) -> Category:
    """The category at ``names`` from the root, creating what is missing."""
    parent = None
    for name in names:
        queryset = Category.objects.filter(name=name, depth=1 if parent is None else parent.depth + 1)
        if parent is not None:
            queryset = queryset.filter(path__startswith=parent.path)
        node = queryset.first() or CategoryFactory(name=name, slug=name.lower().replace(" ", "-"), parent=parent)
        parent = node
    assert parent is not None
    return parent


def product(name: str, *, category: Category | None = None, brand: str | None = "Acme", **fields: Any) -> Product:
    fields.setdefault("price", Decimal("499.00"))
    return ProductFactory(
        name=name,
        category=category or category_path("Misc"),
        brand=BrandFactory(name=brand) if brand else None,
        **fields,
    )


def index(*products: Product) -> None:
    """Project the products (or every product) and rebuild the dictionaries, as the consumers and beat would."""
    ids = [p.id for p in products] or list(Product.objects.values_list("id", flat=True))
    projection.refresh_products(ids)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the dictionary version moves on commit
        dictionaries.refresh()
