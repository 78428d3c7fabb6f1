"""Writing cleaned product records into the catalog, idempotently and in bulk.

Products are matched on ``external_id``, SKUs on ``code``, categories on their
names from the root and brands on their case-folded name, so re-running an
import finds everything in place, writes nothing and publishes nothing. Each
batch of products commits with its events in one transaction: an interrupted
import leaves whole batches behind and is finished by running it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shop.catalog import attributes
from shop.catalog.events import CategoryChanged, ProductCreated
from shop.catalog.importing import generated
from shop.catalog.importing.flipkart import CURRENCY, ProductRecord
from shop.catalog.models import Brand, Category, Product, ProductImage, Sku
from shop.catalog.services import product_change_events, unique_slug
from shop.core.events import Event, publish_many

BATCH_SIZE = 500
IMPORT_LOCK_KEY = 0x1F11B  # PostgreSQL advisory lock id held for the length of an import
NamePath = tuple[str, ...]
STRING_ATTRIBUTE = {"type": "string"}
SKU_FIELDS = [
    "product_id",
    "variant_attributes",
    "weight_grams",
    "length_mm",
    "width_mm",
    "height_mm",
    "position",
    "is_active",
]
ALT_TEXT_MAX = ProductImage._meta.get_field("alt_text").max_length


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    invalid: int = 0
    categories: int = 0
    categories_created: int = 0
    brands: int = 0
    brands_created: int = 0
    skus: int = 0
    skus_created: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Products: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped (no price), {self.invalid} invalid. "
            f"Categories: {self.categories} ({self.categories_created} new). "
            f"Brands: {self.brands} ({self.brands_created} new). "
            f"SKUs: {self.skus} ({self.skus_created} new). {self.seconds:.1f}s."
        )


@contextmanager
def exclusive_import() -> Iterator[None]:
    """Run one import at a time: the launcher may start several processes at once, and two concurrent
    imports would both create the same categories (their names have no unique key)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])


def import_records(records: list[ProductRecord], progress: Callable[[int], object] | None = None) -> ImportStats:
    """Write ``records``: categories and brands first, then products in batches of ``BATCH_SIZE``.

    ``progress`` is called with the number of records each finished batch covered.
    """
    stats = ImportStats()
    categories, stats.categories_created = sync_categories(records)
    brands, stats.brands_created = sync_brands(record.brand for record in records if record.brand)
    schemas = {path: _effective_schema(categories, path) for path in {record.category_path for record in records}}
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        import_batch(batch, categories, schemas, brands, stats)
        if progress:
            progress(len(batch))
    stats.categories = Category.objects.count()
    stats.brands = Brand.objects.count()
    stats.skus = Sku.objects.count()
    return stats


# ---------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------


def sync_categories(records: Iterable[ProductRecord]) -> tuple[dict[NamePath, Category], int]:
    """Create the categories the records need and declare their attributes; returns the tree and how many are new.

    Every attribute key is declared (as a string) at the top-level category of
    the products carrying it, so each product's bag validates against its
    category's merged schema. Existing schemas are only ever extended.
    """
    wanted: set[NamePath] = set()
    keys_by_root: dict[str, set[str]] = defaultdict(set)
    for record in records:
        path = record.category_path
        wanted.update(path[:depth] for depth in range(1, len(path) + 1))
        keys_by_root[path[0]].update(record.attributes)
    with transaction.atomic():
        tree = load_tree()
        created = _create_missing(tree, wanted, keys_by_root)
        extended = _extend_root_schemas(tree, keys_by_root)
        publish_many([CategoryChanged(category_id=node.id) for node in created + extended])
        return load_tree(), len(created)


def load_tree() -> dict[NamePath, Category]:
    """Every category keyed by its names from the root (for two same-named siblings, the first)."""
    tree: dict[NamePath, Category] = {}
    names_by_path: dict[str, NamePath] = {}
    for node in Category.objects.order_by("path"):
        parent_names = names_by_path.get(node.path[: -Category.steplen], ())
        names_by_path[node.path] = (*parent_names, node.name)
        tree.setdefault(names_by_path[node.path], node)
    return tree


def _create_missing(tree: dict[NamePath, Category], wanted: set[NamePath], keys: dict[str, set[str]]) -> list[Category]:
    """Add the missing categories: the top of each new subtree through treebeard (which keeps siblings in
    name order, shifting existing ones if needed), everything below it in one bulk insert with computed paths."""
    missing = wanted - tree.keys()
    children: dict[NamePath, list[NamePath]] = defaultdict(list)
    for path in sorted(missing):
        children[path[:-1]].append(path)
    created: list[Category] = []
    for top in sorted(path for path in missing if path[:-1] not in missing):
        node = _new_node(top, children)
        if len(top) == 1:
            node.attribute_schema = _schema_with(keys.get(top[0], ()), {})
            node = Category.objects.add_root(instance=node)
        else:
            node = Category.objects.add_child(tree[top[:-1]], instance=node)
        subtree = _subtree_nodes(node, top, children)
        Category.objects.bulk_create(subtree)
        created += [node, *subtree]
    return created


def _new_node(path: NamePath, children: dict[NamePath, list[NamePath]]) -> Category:
    """An unsaved category; ``numchild`` counts the children about to be inserted below it."""
    return Category(name=path[-1], slug=unique_slug(path[-1]), numchild=len(children.get(path, ())))


def _subtree_nodes(top: Category, top_path: NamePath, children: dict[NamePath, list[NamePath]]) -> list[Category]:
    """The new descendants of a just-inserted node, with materialized paths in name order."""
    nodes: list[Category] = []
    stack = [(top, top_path)]
    while stack:
        parent, parent_names = stack.pop()
        for position, names in enumerate(children.get(parent_names, ()), start=1):
            node = _new_node(names, children)
            node.depth = parent.depth + 1
            node.path = Category._get_path(parent.path, node.depth, position)
            nodes.append(node)
            stack.append((node, names))
    return nodes


def _extend_root_schemas(tree: dict[NamePath, Category], keys_by_root: dict[str, set[str]]) -> list[Category]:
    """Declare attribute keys that top-level categories which existed before this run do not know yet
    (new ones got theirs on creation; only the schema is saved, so stale in-memory paths do no harm)."""
    extended = []
    for root_name, keys in sorted(keys_by_root.items()):
        node = tree.get((root_name,))
        if node is None or not keys - set(node.attribute_schema.get("properties", {})):
            continue
        node.attribute_schema = _schema_with(keys, node.attribute_schema)
        node.save(update_fields=["attribute_schema", "updated_at"])
        extended.append(node)
    return extended


def _schema_with(keys: Iterable[str], schema: dict[str, Any]) -> dict[str, Any]:
    properties = dict(schema.get("properties", {}))
    for key in sorted(keys):
        properties.setdefault(key, STRING_ATTRIBUTE)
    return {**schema, "properties": properties, "required": list(schema.get("required", []))}


def _effective_schema(tree: dict[NamePath, Category], path: NamePath) -> dict[str, Any]:
    """``attributes.effective_schema`` computed from the loaded tree instead of one query per category."""
    return attributes.merge_schemas(tree[path[:depth]].attribute_schema or {} for depth in range(1, len(path) + 1))


# ---------------------------------------------------------------------------
# Brands
# ---------------------------------------------------------------------------


def sync_brands(names: Iterable[str]) -> tuple[dict[str, int], int]:
    """Brand ids by case-folded name, creating missing brands in one insert ("DressBerry" is "Dressberry").

    A new brand takes the first spelling met in the data.
    """
    with transaction.atomic():
        ids: dict[str, int] = {}
        for brand_id, name in Brand.objects.order_by("id").values_list("id", "name"):
            ids.setdefault(name.casefold(), brand_id)
        new: dict[str, Brand] = {}
        for name in names:
            if name.casefold() not in ids and name.casefold() not in new:
                new[name.casefold()] = Brand(name=name, slug=unique_slug(name))
        Brand.objects.bulk_create(new.values())
    return ids | {key: brand.id for key, brand in new.items()}, len(new)


# ---------------------------------------------------------------------------
# Products, SKUs and images
# ---------------------------------------------------------------------------


@dataclass
class _Change:
    """An existing product met again: the columns (plus "skus", "images") the feed changed, if any."""

    product: Product
    old_price: Decimal
    fields: list[str] = field(default_factory=list)


def import_batch(
    records: list[ProductRecord],
    categories: dict[NamePath, Category],
    schemas: dict[NamePath, dict[str, Any]],
    brands: dict[str, int],
    stats: ImportStats,
) -> None:
    """Create or update one batch of products with their SKUs and images, and publish what changed."""
    with transaction.atomic():
        existing = {p.external_id: p for p in Product.objects.filter(external_id__in=[r.external_id for r in records])}
        new: list[Product] = []
        changes: dict[int, _Change] = {}
        valid: list[ProductRecord] = []
        for record in records:
            category = categories[record.category_path]
            if not _is_valid(record, schemas[record.category_path], category.name):
                stats.invalid += 1
                continue
            valid.append(record)
            values = _product_values(record, category.id, brands.get(record.brand.casefold()))
            product = existing.get(record.external_id)
            if product is None:
                new.append(Product(external_id=record.external_id, slug=unique_slug(record.name), **values))
            else:
                changes[product.id] = _apply(product, values)
        Product.objects.bulk_create(new)
        product_ids = {product.external_id: product.id for product in [*new, *existing.values()]}
        with_ids = [(product_ids[record.external_id], record) for record in valid]
        stats.skus_created += _sync_skus(with_ids, changes)
        _sync_images(with_ids, changes)
        updated = [change for change in changes.values() if change.fields]
        _save_changes(updated)
        publish_many(_product_events(new, updated))
    stats.created += len(new)
    stats.updated += len(updated)
    stats.unchanged += len(changes) - len(updated)


def _is_valid(record: ProductRecord, schema: dict[str, Any], category_name: str) -> bool:
    """What ``Product.full_clean()`` would say of the bag (bulk_create skips it); false only if staff
    tightened a schema (a required attribute, a non-string type) in a way the data does not meet."""
    try:
        attributes.validate_bag(record.attributes, schema, category_name)
    except ValidationError:
        return False
    return True


def _product_values(record: ProductRecord, category_id: int, brand_id: int | None) -> dict[str, Any]:
    """The product columns the feed owns (the slug is set once, on creation, so URLs stay stable)."""
    return {
        "name": record.name,
        "description": record.description,
        "brand_id": brand_id,
        "category_id": category_id,
        "price": record.price,
        "list_price": record.list_price,
        "currency": CURRENCY,
        "attributes": record.attributes,
        "fast_delivery": record.fast_delivery,
        "rating_avg": record.rating_avg,
        "rating_count": record.rating_count,
    }


def _apply(product: Product, values: dict[str, Any]) -> _Change:
    change = _Change(product=product, old_price=product.price)
    for name, value in values.items():
        if getattr(product, name) != value:
            setattr(product, name, value)
            change.fields.append(name)
    return change


def _save_changes(updated: list[_Change]) -> None:
    """Save updated products (also those whose SKUs or images alone changed, to move ``updated_at``)."""
    columns = {name for change in updated for name in change.fields} - {"skus", "images"}
    now = timezone.now()
    for change in updated:
        change.product.updated_at = now  # bulk_update skips auto_now
    Product.objects.bulk_update([change.product for change in updated], [*sorted(columns), "updated_at"])


def _sync_skus(products: list[tuple[int, ProductRecord]], changes: dict[int, _Change]) -> int:
    """Create the generated SKUs that are missing, correct those that differ and deactivate those no
    longer implied (never delete: orders keep SKU ids). Returns how many were created."""
    specs = {
        product_id: generated.sku_specs(record.sku_code, record.external_id, record.category_path[0])
        for product_id, record in products
    }
    codes = {spec.code for spec_list in specs.values() for spec in spec_list}
    existing = {sku.code: sku for sku in Sku.objects.filter(Q(product_id__in=specs) | Q(code__in=codes))}
    to_create: list[Sku] = []
    to_update: list[Sku] = []
    for product_id, spec_list in specs.items():
        for spec in spec_list:
            values = _sku_values(product_id, spec)
            sku = existing.get(spec.code)
            if sku is None:
                to_create.append(Sku(code=spec.code, **values))
            elif any(getattr(sku, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(sku, name, value)
                to_update.append(sku)
    for sku in existing.values():
        if sku.product_id in specs and sku.code not in codes and sku.is_active:
            sku.is_active = False
            to_update.append(sku)
    Sku.objects.bulk_create(to_create)
    Sku.objects.bulk_update(to_update, SKU_FIELDS)
    _mark(changes, {sku.product_id for sku in [*to_create, *to_update]}, "skus")
    return len(to_create)


def _sku_values(product_id: int, spec: generated.SkuSpec) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "variant_attributes": spec.variant_attributes,
        "weight_grams": spec.weight_grams,
        "length_mm": spec.length_mm,
        "width_mm": spec.width_mm,
        "height_mm": spec.height_mm,
        "position": spec.position,
        "is_active": True,
    }


def _sync_images(products: list[tuple[int, ProductRecord]], changes: dict[int, _Change]) -> None:
    """Make each product's images the feed's list, replacing the whole list when it differs."""
    current: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = ProductImage.objects.filter(product_id__in=[product_id for product_id, _ in products])
    for product_id, url, alt_text in rows.order_by("product_id", "position", "id").values_list(
        "product_id", "source_url", "alt_text"
    ):
        current[product_id].append((url, alt_text))
    touched: set[int] = set()
    to_create: list[ProductImage] = []
    for product_id, record in products:
        alt_text = record.name[:ALT_TEXT_MAX]
        if current.get(product_id, []) == [(url, alt_text) for url in record.image_urls]:
            continue
        touched.add(product_id)
        to_create += [
            ProductImage(product_id=product_id, source_url=url, alt_text=alt_text, position=position)
            for position, url in enumerate(record.image_urls)
        ]
    ProductImage.objects.filter(product_id__in=touched & current.keys()).delete()
    ProductImage.objects.bulk_create(to_create)
    _mark(changes, touched, "images")


def _mark(changes: dict[int, _Change], product_ids: set[int], part: str) -> None:
    """Note that existing products' SKUs or images changed (new products are reported as created)."""
    for product_id in product_ids & changes.keys():
        changes[product_id].fields.append(part)


def _product_events(new: list[Product], updated: list[_Change]) -> list[Event]:
    events: list[Event] = [ProductCreated(product_id=p.id, category_id=p.category_id) for p in new]
    for change in updated:
        fields = sorted(name.removesuffix("_id") for name in change.fields)
        events += product_change_events(change.product, fields, old_price=change.old_price)
    return events
