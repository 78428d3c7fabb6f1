"""Availability (in stock, low, out) projected from inventory, the source of truth.

One function serves both the event consumer (a few products per stock event) and
``manage.py refresh_availability`` (every product, after a bulk stock load or to repair a
projection), so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from shop.catalog.events import ProductUpdated
from shop.catalog.models import Product, Sku
from shop.core.events import publish_many
from shop.inventory import services as inventory


@transaction.atomic
def project(product_ids: Iterable[int]) -> int:
    """Set each product's availability to its best active SKU's; returns how many changed.

    Re-reads inventory, so redelivered or reordered events converge on the current truth, and
    publishes ``ProductUpdated`` only for products whose status changed (not on every unit sold),
    so list caches and search documents are not churned by ordinary sales."""
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return 0
    skus: dict[int, list[int]] = {product_id: [] for product_id in product_ids}
    for sku_id, product_id in Sku.objects.filter(product_id__in=product_ids, is_active=True).values_list(
        "id", "product_id"
    ):
        skus[product_id].append(sku_id)
    by_status: dict[str, list[int]] = defaultdict(list)
    for product_id, status in inventory.group_availability(skus).items():
        by_status[status].append(product_id)
    changed: list[int] = []
    for status, ids in sorted(by_status.items()):
        stale = Product.objects.filter(id__in=ids).exclude(availability=status)
        stale_ids = list(stale.order_by("id").values_list("id", flat=True))
        Product.objects.filter(id__in=stale_ids).update(availability=status)
        changed += stale_ids
    publish_many([ProductUpdated(product_id=product_id, fields=["availability"]) for product_id in sorted(changed)])
    return len(changed)


def project_all(batch_size: int = 1000) -> int:
    """Every product, a batch per transaction (bounded memory and lock time); returns how many changed."""
    changed, last_id = 0, 0
    while True:
        ids = list(Product.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return changed
        changed += project(ids)
        last_id = ids[-1]
