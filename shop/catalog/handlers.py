"""The catalog's event consumers: keep its caches honest, and project other domains'
figures (review ratings) onto products."""

from shop.catalog import cache
from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.catalog.models import Product
from shop.catalog.services import set_rating, subtree_category_ids
from shop.core.events import subscribe
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


@subscribe(ProductRatingChanged)
def project_review_rating(event: ProductRatingChanged) -> None:
    """Copy the reviews' current aggregates onto the product (re-read: events may arrive out of order)."""
    summary = reviews.rating_summary(event.product_id)
    set_rating(event.product_id, summary.average, summary.count)
