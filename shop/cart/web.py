"""Whose cart a request is about: the signed-in customer, else the guest whose
token came in the ``X-Cart-Token`` header or the cookie."""

from __future__ import annotations

from typing import Any

from shop.cart import services
from shop.cart.services import CartOwner


def owner_of(request: Any) -> CartOwner:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return CartOwner(user_id=user.pk)
    return CartOwner(cart_id=services.cart_id_from_token(services.token_from_request(request)))


def owner_for_change(request: Any) -> tuple[CartOwner, str | None]:
    """The owner, with a new guest token when a guest without one changes the
    cart (returned, so the response can hand it over)."""
    owner = owner_of(request)
    if owner.is_guest and owner.cart_id is None:
        token = services.new_guest_token()
        return CartOwner(cart_id=services.cart_id_from_token(token)), token
    return owner, None
