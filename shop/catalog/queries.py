"""Read queries shared by the REST API and the storefront, so both show the same thing.

Every query here is bounded: lists are keyset pages of at most ``MAX_PAGE_SIZE``
rows, and counts above ``COUNT_CAP`` are reported as "at least".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from shop.catalog.models import Category, Product, Sku
from shop.core.keyset import KeysetPage, paginate

SORTS: dict[str, list[str]] = {
    "featured": ["-rating_count", "-id"],
    "price": ["price", "id"],
    "-price": ["-price", "-id"],
    "newest": ["-created_at", "-id"],
    "rating": ["-rating_avg", "-id"],
    "name": ["name", "id"],
}
SORT_LABELS = {
    "featured": "Featured",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "newest": "Newest",
    "rating": "Customer rating",
    "name": "Name",
}
DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
COUNT_CAP = 10_000


@dataclass(frozen=True)
class ProductListing:
    page: KeysetPage[Product]
    total: int
    total_is_capped: bool


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def product_listing(
    *, category: Category | None, brand_id: int | None, sort: str, cursor: str | None, size: int
) -> ProductListing:
    """A page of active products in a category's subtree (or everywhere)."""
    queryset = Product.objects.filter(is_active=True).select_related("brand")
    if category is not None:
        queryset = queryset.filter(category__path__startswith=category.path)
    if brand_id is not None:
        queryset = queryset.filter(brand_id=brand_id)
    page = paginate(queryset, SORTS[sort], cursor, size)
    total = queryset.order_by()[: COUNT_CAP + 1].count()
    return ProductListing(page=page, total=min(total, COUNT_CAP), total_is_capped=total > COUNT_CAP)


def product_with_details(product_id: int) -> Product:
    """An active product with everything its page shows, in four queries."""
    return (
        Product.objects.select_related("brand", "category")
        .prefetch_related(Prefetch("skus", queryset=Sku.objects.filter(is_active=True)), "images")
        .get(id=product_id, is_active=True)
    )


def breadcrumbs(category: Category) -> list[Category]:
    return [*Category.objects.get_ancestors(category), category]


def variant_options(skus: list[Sku]) -> dict[str, list[str]]:
    """Each variant dimension ("Size") with its values in SKU order, for pickers."""
    options: dict[str, list[str]] = {}
    for sku in skus:
        for name, value in sku.variant_attributes.items():
            values = options.setdefault(name, [])
            if str(value) not in values:
                values.append(str(value))
    return options


def product_counts() -> dict[int, int]:
    """Active products per category, rolled up so a parent counts its whole subtree."""
    direct = dict(
        Product.objects.filter(is_active=True)
        .values("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    paths = dict(Category.objects.values_list("id", "path"))
    by_path: dict[str, int] = defaultdict(int)
    steplen = Category.steplen
    for category_id, count in direct.items():
        path = paths.get(category_id, "")
        for end in range(steplen, len(path) + 1, steplen):
            by_path[path[:end]] += count
    return {category_id: by_path.get(path, 0) for category_id, path in paths.items()}


def category_tree(max_depth: int) -> list[dict[str, Any]]:
    """Active categories to ``max_depth`` as nested dicts, with subtree product counts."""
    counts = product_counts()
    nodes = list(active_categories().filter(depth__lte=max_depth).order_by("path"))
    by_path: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for node in nodes:
        item = {
            "id": node.id,
            "name": node.name,
            "slug": node.slug,
            "product_count": counts.get(node.id, 0),
            "children": [],
        }
        by_path[node.path] = item
        parent = by_path.get(node.path[: -Category.steplen])
        if node.depth == 1:
            roots.append(item)
        elif parent is not None:  # an inactive ancestor hides its subtree
            parent["children"].append(item)
    return roots


def top_categories() -> list[tuple[Category, int]]:
    counts = product_counts()
    return [(node, counts.get(node.id, 0)) for node in active_categories().filter(depth=1).order_by("name")]
