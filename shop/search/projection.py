"""The search read model: product -> search document, kept by events and rebuilt on demand.

Every write path goes through :func:`upsert` so the event consumers and the
full rebuild produce identical documents. Inactive or deleted products have no
document (search never shows them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from shop.catalog.services import ProductInfo, count_products, get_products, iter_products, subtree_category_ids
from shop.search import backends, dictionaries
from shop.search.models import SearchDocument
from shop.search.text import CATEGORY_SEPARATOR

BATCH_SIZE = 500
UPDATE_FIELDS = [
    "name",
    "slug",
    "description",
    "brand",
    "category_id",
    "category_path",
    "category_keys",
    "category_text",
    "attributes",
    "attributes_text",
    "price",
    "list_price",
    "currency",
    "fast_delivery",
    "availability",
    "in_stock",
    "rating_avg",
    "rating_count",
    "created_at",
    "source_updated_at",
    "indexed_at",
]


def category_keys(path: list[str]) -> list[str]:
    """``["A", "B"]`` -> ``["A", "A > B"]`` (joined by CATEGORY_SEPARATOR): the key of every level, root first."""
    return [CATEGORY_SEPARATOR.join(path[: depth + 1]) for depth in range(len(path))]


def _flat_values(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flat_values(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _flat_values(item)]
    return [str(value)] if value not in (None, "") else []


def document_from(info: ProductInfo, indexed_at: datetime) -> SearchDocument:
    return SearchDocument(
        product_id=info.product_id,
        name=info.name[:500],
        slug=info.slug[:200],
        description=info.description,
        brand=info.brand[:200],
        category_id=info.category_id,
        category_path=list(info.category_path),
        category_keys=category_keys(list(info.category_path)),
        category_text=" ".join(info.category_path),
        attributes=info.attributes,
        attributes_text=" ".join(_flat_values(info.attributes)),
        price=info.price,
        list_price=info.list_price,
        currency=info.currency,
        fast_delivery=info.fast_delivery,
        availability=info.availability,
        in_stock=info.availability != "out_of_stock",
        rating_avg=info.rating_avg,
        rating_count=info.rating_count,
        created_at=info.created_at,
        source_updated_at=info.updated_at,
        indexed_at=indexed_at,
    )


def upsert(infos: Iterable[ProductInfo]) -> tuple[list[int], list[int]]:
    """Write the documents of ``infos``; returns (indexed ids, removed ids).

    Behaviour columns (ctr, conversion, popularity) are left alone: they belong
    to the log processor, and a catalog change does not reset them.
    """
    now = timezone.now()
    infos = list(infos)
    active = [document_from(info, now) for info in infos if info.is_active]
    removed = [info.product_id for info in infos if not info.is_active]
    if active:
        SearchDocument.objects.bulk_create(
            active, update_conflicts=True, unique_fields=["product_id"], update_fields=UPDATE_FIELDS
        )
    if removed:
        SearchDocument.objects.filter(product_id__in=removed).delete()
    return [doc.product_id for doc in active], removed


def refresh_products(product_ids: Iterable[int]) -> int:
    """Re-read ``product_ids`` from the catalog and rewrite (or remove) their documents."""
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return 0
    infos = get_products(ids)
    indexed, removed = upsert(infos.values())
    missing = [product_id for product_id in ids if product_id not in infos]
    if missing:
        SearchDocument.objects.filter(product_id__in=missing).delete()
        removed += missing
    _sync_backend_on_commit(indexed, removed)
    return len(ids)


def reindex_category(category_id: int) -> int:
    """Refresh every document in a category's subtree, one bounded batch per transaction."""
    category_ids = subtree_category_ids(category_id)
    if not category_ids:
        return 0
    ids = list(
        SearchDocument.objects.filter(category_id__in=category_ids)
        .order_by("product_id")
        .values_list("product_id", flat=True)
    )
    for start in range(0, len(ids), BATCH_SIZE):
        with transaction.atomic():
            refresh_products(ids[start : start + BATCH_SIZE])
    return len(ids)


@dataclass(frozen=True)
class RebuildStats:
    indexed: int
    removed: int
    seconds: float


def rebuild(
    progress: Callable[[int], object] | None = None, total: Callable[[int], object] | None = None
) -> RebuildStats:
    """Rewrite every document from the catalog, drop the ones no product backs, refresh the dictionaries.

    Each batch commits on its own, so search keeps serving (from a mix of old and
    new documents) while it runs; events arriving meanwhile are applied as usual.
    """
    started = timezone.now()
    if total:
        total(count_products())
    backend = backends.get_backend()
    backend.ensure_index()
    indexed = 0
    batch: list[ProductInfo] = []

    def flush() -> None:
        nonlocal indexed
        with transaction.atomic():
            ids, _ = upsert(batch)
        backend.index(ids)
        indexed += len(ids)
        if progress:
            progress(len(batch))
        batch.clear()

    for info in iter_products(BATCH_SIZE):
        batch.append(info)
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    stale = list(SearchDocument.objects.filter(indexed_at__lt=started).values_list("product_id", flat=True))
    for start in range(0, len(stale), BATCH_SIZE):
        chunk = stale[start : start + BATCH_SIZE]
        SearchDocument.objects.filter(product_id__in=chunk, indexed_at__lt=started).delete()
        backend.delete(chunk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    dictionaries.refresh()
    return RebuildStats(indexed=indexed, removed=len(stale), seconds=(timezone.now() - started).total_seconds())


def _sync_backend_on_commit(indexed: list[int], removed: list[int]) -> None:
    """Push the change to an external index (Elasticsearch) once the documents are committed."""
    backend = backends.get_backend()
    if not backend.external:
        return

    def push() -> None:
        backend.index(indexed)
        backend.delete(removed)

    transaction.on_commit(push)
