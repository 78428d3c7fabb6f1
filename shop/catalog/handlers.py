"""The catalog's event consumers: keep its caches honest, and project other domains'
figures (review ratings, inventory's availability) onto products."""

from shop.catalog import availability, cache
from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.catalog.models import Product, Sku
from shop.catalog.services import set_rating, subtree_category_ids
from shop.core.events import subscribe
from shop.inventory.events import StockAdjusted, StockCommitted, StockReleased, StockReserved
from shop.reviews import services as reviews
from shop.reviews.events import ProductRatingChanged


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def invalidate_product_cache(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    cache.invalidate_product(event.product_id)


@subscribe(CategoryChanged)
def invalidate_category_cache(event: CategoryChanged) -> None:
    category_ids = subtree_category_ids(event.category_id)
    product_ids = list(Product.objects.filter(category_id__in=category_ids).values_list("id", flat=True))
    cache.invalidate_products(product_ids)


@subscribe(StockReserved, StockCommitted, StockReleased, StockAdjusted)
def project_availability(event: StockReserved | StockCommitted | StockReleased | StockAdjusted) -> None:
    """A product is as available as its best active SKU (``shop.catalog.availability``)."""
    availability.project(Sku.objects.filter(id__in=event.sku_ids).values_list("product_id", flat=True))


@subscribe(ProductRatingChanged)
def project_review_rating(event: ProductRatingChanged) -> None:
    """Copy the reviews' current aggregates onto the product (re-read: events may arrive out of order)."""
    summary = reviews.rating_summary(event.product_id)
    set_rating(event.product_id, summary.average, summary.count)
