"""The catalog's published interface: what other domains may call.

Reads return frozen dataclasses, never model instances, so no other domain
can reach into catalog tables. Writes validate, save and publish their event in
one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from shop.catalog import attributes
from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.catalog.models import Availability, Brand, Category, Product, Sku
from shop.core.events import Event, publish, publish_many

# ---------------------------------------------------------------------------
# Read side
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuInfo:
    sku_id: int
    code: str
    product_id: int
    product_name: str
    variant: dict[str, Any]
    price: Decimal
    currency: str
    weight_grams: int
    dimensions_mm: tuple[int, int, int]
    category_id: int
    is_sellable: bool  # the SKU and its product are both active


@dataclass(frozen=True)
class ProductInfo:
    product_id: int
    name: str
    slug: str
    description: str
    brand: str
    category_id: int
    category_path: list[str]
    price: Decimal
    list_price: Decimal | None
    currency: str
    attributes: dict[str, Any]
    is_active: bool
    fast_delivery: bool
    availability: str  # "in_stock" | "low_stock" | "out_of_stock"
    rating_avg: Decimal
    rating_count: int
    created_at: datetime
    updated_at: datetime
    sku_ids: list[int] = field(default_factory=list)


def _sku_info(sku: Sku) -> SkuInfo:
    product = sku.product
    return SkuInfo(
        sku_id=sku.id,
        code=sku.code,
        product_id=product.id,
        product_name=product.name,
        variant=dict(sku.variant_attributes),
        price=sku.price,
        currency=product.currency,
        weight_grams=sku.weight_grams,
        dimensions_mm=(sku.length_mm, sku.width_mm, sku.height_mm),
        category_id=product.category_id,
        is_sellable=sku.is_active and product.is_active,
    )


def get_skus(sku_ids: Iterable[int]) -> dict[int, SkuInfo]:
    """SKUs by id with their current price; unknown ids are simply absent."""
    ids = {int(i) for i in sku_ids}
    if not ids:
        return {}
    return {sku.id: _sku_info(sku) for sku in Sku.objects.select_related("product").filter(id__in=ids)}


def get_sku(sku_id: int) -> SkuInfo | None:
    return get_skus([sku_id]).get(int(sku_id))


def get_products(product_ids: Iterable[int]) -> dict[int, ProductInfo]:
    ids = {int(i) for i in product_ids}
    if not ids:
        return {}
    products = (
        Product.objects.select_related("brand", "category").prefetch_related("skus").filter(id__in=ids).order_by("id")
    )
    return {
        product.id: _product_info(product, _paths_for([product.category for product in products]))
        for product in products
    }


def _paths_for(categories: Iterable[Category]) -> dict[int, list[str]]:
    """Names from the root to each category, in one query for all their ancestors."""
    categories = list({c.id: c for c in categories}.values())
    steplen = Category.steplen
    ancestor_paths = {c.path[:i] for c in categories for i in range(steplen, len(c.path) + 1, steplen)}
    names = dict(Category.objects.filter(path__in=ancestor_paths).values_list("path", "name"))
    return {
        c.id: [names[c.path[:i]] for i in range(steplen, len(c.path) + 1, steplen) if c.path[:i] in names]
        for c in categories
    }


def _product_info(product: Product, paths: dict[int, list[str]]) -> ProductInfo:
    return ProductInfo(
        product_id=product.id,
        name=product.name,
        slug=product.slug,
        description=product.description,
        brand=product.brand.name if product.brand else "",
        category_id=product.category_id,
        category_path=paths.get(product.category_id, []),
        price=product.price,
        list_price=product.list_price,
        currency=product.currency,
        attributes=dict(product.attributes),
        is_active=product.is_active,
        fast_delivery=product.fast_delivery,
        availability=product.availability,
        rating_avg=product.rating_avg,
        rating_count=product.rating_count,
        created_at=product.created_at,
        updated_at=product.updated_at,
        sku_ids=[sku.id for sku in product.skus.all()],
    )


def iter_products(batch_size: int = 500, *, active_only: bool = False) -> Iterator[ProductInfo]:
    """Every product in id order, a bounded batch per query (for read-model rebuilds)."""
    last_id = 0
    while True:
        queryset = Product.objects.select_related("brand", "category").prefetch_related("skus").filter(id__gt=last_id)
        if active_only:
            queryset = queryset.filter(is_active=True)
        batch = list(queryset.order_by("id")[:batch_size])
        if not batch:
            return
        paths = _paths_for(product.category for product in batch)
        for product in batch:
            yield _product_info(product, paths)
        last_id = batch[-1].id


def count_products() -> int:
    return Product.objects.count()


def subtree_category_ids(category_id: int) -> list[int]:
    """The category and all its descendants (one index range scan on the path)."""
    node = Category.objects.filter(id=category_id).only("path").first()
    if node is None:
        return []
    return list(Category.objects.filter(path__startswith=node.path).values_list("id", flat=True))


# ---------------------------------------------------------------------------
# Write side
# ---------------------------------------------------------------------------


def unique_slug(text: str, max_length: int = 200) -> str:
    return (slugify(text, allow_unicode=True) or "item")[:max_length].strip("-") or "item"


@transaction.atomic
def create_product(
    *,
    name: str,
    category: Category,
    price: Decimal,
    currency: str | None = None,
    skus: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Product:
    """Create a product and its SKUs (at least one), publishing ProductCreated."""
    product = Product(name=name, category=category, price=price, slug=unique_slug(name), **fields)
    if currency:
        product.currency = currency
    product.full_clean()
    product.save()
    for position, sku_fields in enumerate(skus or [{"code": f"P{product.id}"}]):
        sku = Sku(product=product, position=position, **sku_fields)
        sku.full_clean()
        sku.save()
    record_product_created(product)
    return product


@dataclass(frozen=True)
class NewProduct:
    """One product for :func:`create_products`, with its single SKU."""

    name: str
    price: Decimal
    sku_code: str
    description: str = ""
    external_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def create_products(category: Category, items: list[NewProduct], *, currency: str | None = None) -> list[int]:
    """Create many single-SKU products in one category: validated like ``create_product``,
    written in a few statements, one ProductCreated each. Returns ids in input order."""
    schema = attributes.effective_schema(category)
    products = []
    for item in items:
        product = Product(
            name=item.name,
            slug=unique_slug(item.name),
            category=category,
            price=item.price,
            description=item.description,
            external_id=item.external_id,
            attributes=item.attributes,
        )
        if currency:
            product.currency = currency
        product.clean_fields()
        attributes.validate_bag(product.attributes, schema, category.name)
        products.append(product)
    Product.objects.bulk_create(products, batch_size=1000)
    skus = [Sku(product=product, code=item.sku_code) for product, item in zip(products, items, strict=True)]
    for sku in skus:
        sku.clean_fields(exclude=["product"])
    Sku.objects.bulk_create(skus, batch_size=1000)
    publish_many([ProductCreated(product_id=p.id, category_id=category.id) for p in products])
    return [product.id for product in products]


@transaction.atomic
def update_product(product_id: int, **changes: Any) -> Product:
    """Apply ``changes`` to a product under a row lock; publishes what changed."""
    product = Product.objects.select_for_update().get(id=product_id)
    old_price = product.price
    changed = sorted(name for name, value in changes.items() if getattr(product, name) != value)
    for name, value in changes.items():
        setattr(product, name, value)
    if not changed:
        return product
    product.full_clean()
    product.save()
    record_product_change(product, changed, old_price=old_price)
    return product


def record_product_created(product: Product) -> None:
    publish(ProductCreated(product_id=product.id, category_id=product.category_id))


def product_change_events(product: Product, changed: list[str], *, old_price: Decimal | None = None) -> list[Event]:
    """The events that report a change to a saved product (shared by every writer)."""
    if not changed:
        return []
    events: list[Event] = [ProductUpdated(product_id=product.id, fields=sorted(changed))]
    if "price" in changed and old_price != product.price:
        events.append(
            ProductPriceChanged(
                product_id=product.id,
                sku_id=None,
                old_price=old_price,
                new_price=product.price,
                currency=product.currency,
            )
        )
    return events


def record_product_change(product: Product, changed: list[str], *, old_price: Decimal | None = None) -> None:
    """Publish the events for a product already saved in the current transaction
    (the admin saves through its forms, then calls this)."""
    publish_many(product_change_events(product, changed, old_price=old_price))


def record_sku_price_change(sku: Sku, old_override: Decimal | None) -> None:
    if old_override == sku.price_override:
        return
    publish(
        ProductPriceChanged(
            product_id=sku.product_id,
            sku_id=sku.id,
            old_price=old_override,
            new_price=sku.price_override,
            currency=sku.product.currency,
        )
    )


@transaction.atomic
def set_rating(product_id: int, rating_avg: Decimal, rating_count: int) -> None:
    """Project review aggregates onto the product (called by the reviews consumer)."""
    updated = Product.objects.filter(id=product_id).update(rating_avg=rating_avg, rating_count=rating_count)
    if updated:
        publish(ProductUpdated(product_id=product_id, fields=["rating_avg", "rating_count"]))


@transaction.atomic
def set_availability(product_id: int, availability: str) -> bool:
    """Project inventory's availability onto the product; True if it changed.

    Publishes only when the status changes (not on every unit sold), so list
    caches and search documents are not churned by ordinary sales.
    """
    if availability not in Availability.values:
        raise ValueError(f"unknown availability {availability!r}")
    updated = Product.objects.filter(id=product_id).exclude(availability=availability).update(availability=availability)
    if updated:
        publish(ProductUpdated(product_id=product_id, fields=["availability"]))
    return bool(updated)


def record_category_change(category: Category) -> None:
    publish(CategoryChanged(category_id=category.id))


def get_or_create_brand(name: str) -> Brand:
    brand, _ = Brand.objects.get_or_create(name=name, defaults={"slug": unique_slug(name)})
    return brand
