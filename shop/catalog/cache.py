"""Cache keys of the catalog's read endpoints, in one place for readers and invalidators.

A product's detail has its own key (deleted when that product changes); lists
and the tree embed the catalog generation, so any change retires them all at once.
"""

from shop.core.http_cache import bump_version, current_version, delete_keys

GENERATION = "catalog"


def product_key(product_id: int) -> str:
    return f"catalog:product:{product_id}"


def generation_key(*parts: object) -> str:
    return f"catalog:g{current_version(GENERATION)}:" + ":".join(str(part) for part in parts)


def invalidate_product(product_id: int) -> None:
    delete_keys(product_key(product_id))
    bump_version(GENERATION)


def invalidate_products(product_ids: list[int]) -> None:
    """Retire many product keys (a renamed category changes their breadcrumbs)."""
    for start in range(0, len(product_ids), 1000):
        delete_keys(*(product_key(pid) for pid in product_ids[start : start + 1000]))
    bump_version(GENERATION)
