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
    so list caches and search documents are not churned by ordinary sales. The products are
    locked (in id order) before inventory is read: of two projections racing on a product, the
    one that read inventory last writes last, so an older read cannot overwrite a newer one."""
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return 0
    current = dict(
        Product.objects.select_for_update().filter(id__in=product_ids).order_by("id").values_list("id", "availability")
    )
    skus: dict[int, list[int]] = {product_id: [] for product_id in current}
    for sku_id, product_id in Sku.objects.filter(product_id__in=list(current), is_active=True).values_list(
        "id", "product_id"
    ):
        skus[product_id].append(sku_id)
    changed: dict[str, list[int]] = defaultdict(list)
    for product_id, status in inventory.group_availability(skus).items():
        if current[product_id] != status:
            changed[status].append(product_id)
    for status, ids in changed.items():
        Product.objects.filter(id__in=ids).update(availability=status)
    changed_ids = sorted(product_id for ids in changed.values() for product_id in ids)
    publish_many([ProductUpdated(product_id=product_id, fields=["availability"]) for product_id in changed_ids])
    return len(changed_ids)


def project_all(batch_size: int = 1000) -> int:
    """Every product, a batch per transaction (bounded memory and lock time); returns how many changed."""
    changed, last_id = 0, 0
    while True:
        ids = list(Product.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return changed
        changed += project(ids)
        last_id = ids[-1]
