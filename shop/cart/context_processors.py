"""The header's mini-cart count on every storefront page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shop.cart import services
from shop.cart.web import owner_of


def mini_cart(request: HttpRequest) -> dict[str, Any]:
    """``cart_count``, read from Redis only if the page shows it (admin pages don't)."""
    return {"cart_count": SimpleLazyObject(lambda: services.item_count(owner_of(request)))}
