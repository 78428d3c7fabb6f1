"""Consumers of other domains' events.

Catalog changes re-project the product's card (name, price, availability,
active flag), so a product that goes out of stock or inactive leaves every
recommendation list at the next lookup, without retraining.

Purchases come from ``orders.OrderCreated``: one log row per order line, in
the consumer's transaction (so exactly once per event). A guest order counts
as its own visitor (``order:<id>``): its lines still say "bought together".
Add-to-cart (``cart.ItemAdded``) is to be wired the same way when the cart
domain lands (docs/recs.md).
"""

from shop.catalog.events import ProductCreated, ProductPriceChanged, ProductUpdated
from shop.core.events import subscribe
from shop.orders.events import OrderCreated
from shop.recs import cards, services


@subscribe(ProductCreated, ProductUpdated, ProductPriceChanged)
def refresh_product_card(event: ProductCreated | ProductUpdated | ProductPriceChanged) -> None:
    cards.refresh_cards([event.product_id])


@subscribe(OrderCreated)
def record_purchases(event: OrderCreated) -> None:
    session_id = None if event.user_id else f"order:{event.order_id}"
    services.record_interactions(
        services.InteractionIn(
            "purchase",
            int(line["product_id"]),
            event.user_id,
            session_id,
            quantity=int(line["quantity"]),
            occurred_at=event.occurred_at,
        )
        for line in event.lines
    )
