"""The cart's published interface.

A cart belongs to a :class:`CartOwner`: a signed-in customer (``user_id``,
durable in Postgres) or a guest (``cart_id`` from a signed token, kept in
Redis for ``CART_GUEST_TTL_SECONDS``). Changes validate against the catalog
(the SKU exists and is sold) and inventory (enough is available), and raise
:class:`CartError` with a stable ``code`` and an HTTP ``status`` otherwise.
Lines keep the price seen when added; :class:`CartView` shows the current one
beside it. Accounts call :func:`merge_guest_cart` on login.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from shop.cart import store
from shop.cart.events import CartMerged, ItemAdded, ItemRemoved
from shop.cart.store import Change, Lines, LineState
from shop.catalog import services as catalog
from shop.core.errors import DomainError
from shop.core.events import Event
from shop.core.money import Money
from shop.inventory import services as inventory

TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 (a header name, not a secret)
_SIGNER = signing.Signer(salt="shop.cart.guest")
_CART_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_SKU_ID = 2**63 - 1


class CartError(DomainError):
    """A change the cart refuses; ``status`` is the HTTP status an API answers with."""

    def __init__(self, code: str, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message, code, {field: [message]} if field else None, status)
        self.field = field


@dataclass(frozen=True)
class CartOwner:
    user_id: int | None = None
    cart_id: str | None = None  # a guest cart's public id, from a verified token

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class CartItem:
    sku_id: int
    product_id: int
    product_name: str
    variant: dict[str, Any]
    quantity: int
    price_when_added: Decimal
    unit_price: Decimal | None  # today's price; None when the item is no longer sold
    line_total: Decimal | None
    currency: str
    price_changed: bool
    is_available: bool  # still sold
    stock_status: str
    available_quantity: int


@dataclass(frozen=True)
class CartView:
    items: list[CartItem] = field(default_factory=list)
    item_count: int = 0
    subtotal: Decimal = Decimal("0.00")
    currency: str = ""
    has_price_changes: bool = False
    max_quantity_per_line: int = 0


# --- guests' tokens ----------------------------------------------------------------------------


def new_guest_token() -> str:
    """A token for a new guest cart: a random id, signed so clients cannot pick ids."""
    return _SIGNER.sign(secrets.token_urlsafe(18))


def cart_id_from_token(token: str | None) -> str | None:
    """The cart id a token names, or None if it is missing, malformed or forged."""
    if not token or len(token) > 200:
        return None
    try:
        cart_id = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    return cart_id if _CART_ID.match(cart_id) else None


def token_from_request(request: HttpRequest) -> str | None:
    """A guest's token: the ``X-Cart-Token`` header (apps) or the cookie (web)."""
    return request.headers.get(TOKEN_HEADER) or request.COOKIES.get(settings.CART_COOKIE_NAME)


def remember_guest_token(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        settings.CART_COOKIE_NAME,
        token,
        max_age=settings.CART_GUEST_TTL_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget_guest_token(response: HttpResponse) -> None:
    response.delete_cookie(settings.CART_COOKIE_NAME, samesite="Lax")


# --- reads -------------------------------------------------------------------------------------


def get_cart(owner: CartOwner) -> CartView:
    return _view(_load(owner))


def item_count(owner: CartOwner) -> int:
    """Units in the cart, from Redis (the header's mini-cart on every page)."""
    return sum(line.quantity for line in _load(owner).values())


# --- changes -----------------------------------------------------------------------------------


def add_item(owner: CartOwner, sku_id: int, quantity: int = 1) -> CartView:
    quantity = _check_quantity(quantity)
    sku = _sellable_sku(sku_id)
    available = _available(sku.sku_id)
    now = timezone.now()

    def change(lines: Lines) -> list[Event]:
        line = lines.get(sku.sku_id)
        if line is None and len(lines) >= settings.CART_MAX_LINES:
            raise CartError("cart_full", f"A cart holds at most {settings.CART_MAX_LINES} different items.")
        total = quantity + (line.quantity if line else 0)
        _check_total(total, available, already=line.quantity if line else 0)
        if line is None:
            lines[sku.sku_id] = LineState(sku.sku_id, sku.product_id, total, sku.price, sku.currency, now)
        else:
            lines[sku.sku_id] = replace(line, quantity=total)
        return [
            ItemAdded(
                user_id=owner.user_id,
                cart_token=owner.cart_id or "",
                sku_id=sku.sku_id,
                product_id=sku.product_id,
                quantity=quantity,
            )
        ]

    return _view(_update(owner, change))


def set_quantity(owner: CartOwner, sku_id: int, quantity: int) -> CartView:
    sku_id = _check_sku_id(sku_id)
    quantity = _check_quantity(quantity)
    available = _available(sku_id)

    def change(lines: Lines) -> list[Event]:
        line = _line(lines, sku_id)
        if quantity > line.quantity:
            _check_total(quantity, available)
        lines[sku_id] = replace(line, quantity=quantity)
        return []

    return _view(_update(owner, change))


def remove_item(owner: CartOwner, sku_id: int) -> CartView:
    sku_id = _check_sku_id(sku_id)

    def change(lines: Lines) -> list[Event]:
        line = _line(lines, sku_id)
        del lines[sku_id]
        return [
            ItemRemoved(
                user_id=owner.user_id, cart_token=owner.cart_id or "", sku_id=sku_id, product_id=line.product_id
            )
        ]

    return _view(_update(owner, change))


def clear(owner: CartOwner) -> CartView:
    def change(lines: Lines) -> list[Event]:
        lines.clear()
        return []

    if _load(owner):
        _update(owner, change)
    return CartView(max_quantity_per_line=settings.CART_MAX_QUANTITY_PER_LINE)


def accept_current_prices(owner: CartOwner, sku_ids: list[int]) -> None:
    """Make today's price the price seen for these lines (the checkout told the customer
    it changed), so the next checkout charges it. Idempotent; items no longer sold keep theirs.
    Returns nothing: the checkout only refuses, so building the cart's view would be wasted queries."""
    skus = catalog.get_skus(sku_ids)

    def change(lines: Lines) -> list[Event]:
        for sku_id in sku_ids:
            line, sku = lines.get(sku_id), skus.get(sku_id)
            if line is not None and sku is not None and sku.is_sellable and sku.currency == line.currency:
                lines[sku_id] = replace(line, unit_price=sku.price)
        return []

    if _load(owner):
        _update(owner, change)


def remove_ordered(owner: CartOwner, sku_ids: list[int]) -> None:
    """Drop the lines an order bought (items added meanwhile stay). Idempotent, so the
    checkout can repeat it after a crash; no ItemRemoved: the customer removed nothing."""

    def change(lines: Lines) -> list[Event]:
        for sku_id in sku_ids:
            lines.pop(sku_id, None)
        return []

    lines = _load(owner)  # once, not once per SKU
    if any(sku_id in lines for sku_id in sku_ids):
        _update(owner, change)


def merge_guest_cart(token: str | None, user_id: int) -> int:
    """Fold a guest's cart into the customer's; how many guest lines it had.

    The union of both carts, keeping the higher quantity where both have a
    SKU (and the customer's original price). Idempotent: merging the same
    cart again changes nothing, and the guest cart is deleted afterwards.
    """
    cart_id = cart_id_from_token(token)
    if cart_id is None:
        return 0
    guest = store.load_guest(cart_id)
    if not guest:
        return 0

    def change(lines: Lines) -> list[Event]:
        for sku_id, theirs in guest.items():
            mine = lines.get(sku_id)
            if mine is None and len(lines) < settings.CART_MAX_LINES:
                lines[sku_id] = theirs
            elif mine is not None and theirs.quantity > mine.quantity:
                lines[sku_id] = replace(mine, quantity=theirs.quantity)
        return [CartMerged(user_id=user_id, cart_token=cart_id, sku_ids=sorted(guest))]

    store.update_user(user_id, change)
    store.delete_guest(cart_id)
    return len(guest)


# --- helpers -----------------------------------------------------------------------------------


def _load(owner: CartOwner) -> Lines:
    if owner.user_id is not None:
        return store.load_user(owner.user_id)
    return store.load_guest(owner.cart_id) if owner.cart_id else {}


def _update(owner: CartOwner, change: Change) -> Lines:
    if owner.user_id is not None:
        return store.update_user(owner.user_id, change)
    if not owner.cart_id:  # a guest without a token has no cart yet (adding issues one: shop.cart.web)
        raise CartError("not_in_cart", "The cart is empty.", status=404)
    return store.update_guest(owner.cart_id, change)


def _check_sku_id(sku_id: Any) -> int:
    if isinstance(sku_id, bool) or not isinstance(sku_id, int) or not 0 < sku_id <= MAX_SKU_ID:
        raise CartError("unknown_sku", f"{sku_id!r} is not a product option id.", field="sku_id")
    return sku_id


def _check_quantity(quantity: Any) -> int:
    limit = settings.CART_MAX_QUANTITY_PER_LINE
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise CartError("invalid_quantity", "Quantity must be a whole number.", field="quantity")
    if quantity < 1:
        raise CartError("invalid_quantity", "Quantity must be at least 1.", field="quantity")
    if quantity > limit:
        raise CartError("quantity_limit", f"You can buy at most {limit} of an item.", field="quantity")
    return quantity


def _check_total(total: int, available: int, *, already: int = 0) -> None:
    limit = settings.CART_MAX_QUANTITY_PER_LINE
    if total > limit:
        message = f"You can buy at most {limit} of an item"
        message += f" (you already have {already} in your cart)." if already else "."
        raise CartError("quantity_limit", message, field="quantity")
    if total > available:
        message = "This item is out of stock." if available <= 0 else f"Only {available} left in stock."
        raise CartError("out_of_stock", message, status=409, field="quantity")


def _sellable_sku(sku_id: Any) -> catalog.SkuInfo:
    sku = catalog.get_sku(_check_sku_id(sku_id))
    if sku is None:
        raise CartError("unknown_sku", f"There is no product option with id {sku_id}.", field="sku_id")
    if not sku.is_sellable:
        raise CartError("unavailable_sku", f"{sku.product_name} is no longer sold.", field="sku_id")
    return sku


def _available(sku_id: int) -> int:
    return inventory.stock_of([sku_id])[sku_id].available


def _line(lines: Lines, sku_id: int) -> LineState:
    line = lines.get(sku_id)
    if line is None:
        raise CartError("not_in_cart", f"SKU {sku_id} is not in the cart.", status=404)
    return line


def _view(lines: Lines) -> CartView:
    """The cart with today's prices and stock: one catalog and one inventory query."""
    limit = settings.CART_MAX_QUANTITY_PER_LINE
    if not lines:
        return CartView(max_quantity_per_line=limit)
    skus = catalog.get_skus(lines)
    stock = inventory.stock_of(lines)
    currency = next(iter(lines.values())).currency
    subtotal = Money.zero(currency)
    items = []
    for line in sorted(lines.values(), key=lambda item: (item.added_at, item.sku_id)):
        sku = skus.get(line.sku_id)
        sellable = sku is not None and sku.is_sellable and sku.currency == currency
        total = Money.of(sku.price, currency) * line.quantity if sellable else None
        if total is not None:
            subtotal += total
        items.append(
            CartItem(
                sku_id=line.sku_id,
                product_id=line.product_id,
                product_name=sku.product_name if sku else "This item is no longer available",
                variant=sku.variant if sku else {},
                quantity=line.quantity,
                price_when_added=line.unit_price,
                unit_price=sku.price if sellable else None,
                line_total=total.amount if total else None,
                currency=line.currency,
                price_changed=sellable and sku.price != line.unit_price,
                is_available=sellable,
                stock_status=stock[line.sku_id].status,
                available_quantity=max(0, stock[line.sku_id].available),
            )
        )
    return CartView(
        items=items,
        item_count=sum(line.quantity for line in lines.values()),
        subtotal=subtotal.amount,
        currency=currency,
        has_price_changes=any(item.price_changed for item in items),
        max_quantity_per_line=limit,
    )
