"""Consumers of other domains' events.

Catalog changes re-project the product's card (name, price, availability,
active flag), so a product that goes out of stock or inactive leaves every
recommendation list at the next lookup, without retraining.

Add-to-carts come from ``cart.ItemAdded`` and purchases from
``orders.OrderCreated``: log rows written in the consumer's transaction (so
exactly once per event). A guest's cart events are recorded under the session
``cart:<cart id>`` (the lookups of that browser read it too); a guest order
counts as its own visitor (``order:<id>``): its lines still say "bought
together". Removals and merges only adjust the live context.
"""

import logging

from redis.client import Pipeline

from shop.cart.events import CartMerged, ItemAdded, ItemRemoved
from shop.catalog import services as catalog
from shop.catalog.events import ProductCreated, ProductPriceChanged, ProductUpdated
from shop.core.events import subscribe
from shop.orders.events import OrderCreated
from shop.recs import cards, context, services
from shop.recs.context import Visitor
from shop.recs.interactions import update_context_on_commit

log = logging.getLogger(__name__)


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


def _cart_visitor(user_id: int | None, cart_token: str) -> Visitor:
    return Visitor(user_id=user_id) if user_id else Visitor(cart_id=cart_token)


@subscribe(ItemAdded)
def record_add_to_cart(event: ItemAdded) -> None:
    if not event.user_id and not event.cart_token:
        log.warning("recs: cart.ItemAdded %s has neither a customer nor a cart; not recorded", event.event_id)
        return
    services.record_interaction(
        "add_to_cart",
        event.product_id,
        event.user_id,
        None if event.user_id else context.cart_session_id(event.cart_token),
        quantity=event.quantity,
        occurred_at=event.occurred_at,
    )


@subscribe(ItemRemoved)
def forget_removed_cart_item(event: ItemRemoved) -> None:
    visitor = _cart_visitor(event.user_id, event.cart_token)
    update_context_on_commit(lambda pipe: context.queue_forget_cart_item(pipe, visitor, event.product_id))


@subscribe(CartMerged)
def carry_merged_cart(event: CartMerged) -> None:
    """A guest signed in: what was in their cart is now in the customer's."""
    product_ids = sorted({sku.product_id for sku in catalog.get_skus(event.sku_ids).values()})
    visitor = Visitor(user_id=event.user_id)

    def note(pipe: Pipeline) -> None:
        for product_id in product_ids:
            context.queue_note(pipe, visitor, context.ADD_TO_CART, product_id, event.occurred_at.timestamp())

    update_context_on_commit(note)
