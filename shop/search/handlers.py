"""Search's consumers of catalog events: keep the search documents in step.

Each consumer re-reads the product from the catalog (events may arrive out of
order or twice; the current state is the truth), so applying one again is harmless.
"""

from django.db import transaction

from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.core.events import subscribe
from shop.search import projection


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def project_product(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    projection.refresh_products([event.product_id])


@subscribe(CategoryChanged)
def project_category(event: CategoryChanged) -> None:
    """A renamed or moved category changes the path of every product below it:
    too many to redo inside one delivery, so a task does it in batches."""
    from shop.search.tasks import reindex_category

    category_id = event.category_id
    transaction.on_commit(lambda: reindex_category.delay(category_id))
