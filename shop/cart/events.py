"""Events the cart publishes (the recommendations domain logs them as interactions).

``cart_token`` identifies a guest cart (never the secret token itself, only
its public id); it is empty for a signed-in customer's cart. ``CartMerged``
links a guest's cart, and so its earlier events, to the customer who signed in.
"""

from dataclasses import dataclass

from shop.core.events import Event


@dataclass(frozen=True)
class ItemAdded(Event):
    event_type = "cart.ItemAdded"
    user_id: int | None
    cart_token: str
    sku_id: int
    product_id: int
    quantity: int


@dataclass(frozen=True)
class ItemRemoved(Event):
    event_type = "cart.ItemRemoved"
    user_id: int | None
    cart_token: str
    sku_id: int
    product_id: int


@dataclass(frozen=True)
class CartMerged(Event):
    event_type = "cart.CartMerged"
    user_id: int
    cart_token: str
    sku_ids: list[int]
