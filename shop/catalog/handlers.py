"""The catalog's own event consumers: keep its caches honest."""

from shop.catalog import cache
from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.catalog.models import Product
from shop.catalog.services import subtree_category_ids
from shop.core.events import subscribe


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def invalidate_product_cache(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    cache.invalidate_product(event.product_id)


@subscribe(CategoryChanged)
def invalidate_category_cache(event: CategoryChanged) -> None:
    category_ids = subtree_category_ids(event.category_id)
    product_ids = list(Product.objects.filter(category_id__in=category_ids).values_list("id", flat=True))
    cache.invalidate_products(product_ids)
