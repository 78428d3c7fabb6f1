"""factory-boy factories for the catalog (other domains add theirs beside)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from shop.catalog.models import Availability, Brand, Category, Product, Sku


class CategoryFactory(factory.django.DjangoModelFactory):
    """Creates a root category, or a child with ``parent=<category>``."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))

    @classmethod
    def _create(
        cls, model_class: type[Category], *args: Any, parent: Category | None = None, **kwargs: Any
    ) -> Category:
        if parent is None:
            return model_class.objects.add_root(kwargs)
        parent.refresh_from_db()
        return model_class.objects.add_child(parent, kwargs)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    category = factory.SubFactory(CategoryFactory)
    brand = factory.SubFactory(BrandFactory)
    price = Decimal("499.00")
    currency = "INR"
    # A product on sale, as most tests want it; a new product's own default is out of stock until
    # inventory projects its stock (tests/test_catalog_services.py).
    availability = Availability.IN_STOCK

    @factory.post_generation
    def skus(self, create: bool, extracted: list[dict[str, Any]] | None, **kwargs: Any) -> None:
        if not create:
            return
        for position, fields in enumerate(extracted or [{}]):
            SkuFactory(product=self, position=position, **fields)


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory, skus=[])
    code = factory.Sequence(lambda n: f"SKU-{n:06d}")
    weight_grams = 400
