"""Search's consumers of other domains' events.

Catalog events keep the search documents in step: each consumer re-reads the
product from the catalog (events may arrive out of order or twice; the current
state is the truth), so applying one again is harmless. Cart additions and
orders become behaviour signals for ranking (recorded in the consumer's
transaction, so once per event).
"""

from django.db import transaction

from shop.cart.events import ItemAdded
from shop.catalog.events import CategoryChanged, ProductCreated, ProductPriceChanged, ProductUpdated
from shop.core.events import subscribe
from shop.orders.events import OrderCreated
from shop.search import behaviour, projection
from shop.search.tasks import reindex_category


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def project_product(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    projection.refresh_products([event.product_id])


@subscribe(CategoryChanged)
def project_category(event: CategoryChanged) -> None:
    """A renamed or moved category changes the path of every product below it:
    too many to redo inside one delivery, so a task does it in batches."""
    category_id = event.category_id
    transaction.on_commit(lambda: reindex_category.delay(category_id))


@subscribe(ItemAdded)
def record_cart_addition(event: ItemAdded) -> None:
    """Attributed to the shopper's latest search showing the product: a customer by id, a guest by cart."""
    behaviour.record_add_to_cart(
        event.product_id,
        user_id=event.user_id,
        session_key=behaviour.guest_cart_key(event.cart_token) if event.cart_token else None,
        quantity=event.quantity,
        at=event.occurred_at,
    )


@subscribe(OrderCreated)
def record_order(event: OrderCreated) -> None:
    behaviour.record_purchase(
        [int(line["product_id"]) for line in event.lines], user_id=event.user_id, at=event.occurred_at
    )
