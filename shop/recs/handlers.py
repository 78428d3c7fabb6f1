"""Consumers of other domains' events.

Catalog changes re-project the product's card (name, price, availability,
active flag), so a product that goes out of stock or inactive leaves every
recommendation list at the next lookup, without retraining.

Add-to-cart (``cart.ItemAdded``) and purchases (``orders.OrderCreated``) are
recorded with ``shop.recs.services.record_interaction(s)`` by consumers to be
added here when those domains land (docs/recs.md shows them).
"""

from shop.catalog.events import ProductCreated, ProductPriceChanged, ProductUpdated
from shop.core.events import subscribe
from shop.recs import cards


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def refresh_product_card(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    cards.refresh_cards([event.product_id])
