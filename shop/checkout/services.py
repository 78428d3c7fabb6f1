"""Checkout's published interface: place an order, follow it, quote shipping for a cart.

``start_checkout`` checks everything it can at once (a clear error, nothing written), then
records the checkout and hands it to the saga (``shop.checkout.tasks.run_checkout``) after
commit. It is idempotent per customer and ``Idempotency-Key``: the same key with the same
body returns the same checkout (a double click, a mobile retry); with another body it is
refused. The saga's progress and outcome are read with ``get_checkout``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.accounts import services as accounts
from shop.cart import services as cart
from shop.catalog import services as catalog
from shop.checkout import lines as checkout_lines
from shop.checkout.models import Checkout, ShippingRate
from shop.checkout.pricing import Address, PricingError, Quote, clean_address, quote, quote_options
from shop.checkout.steps import STEP_NAMES
from shop.checkout.tasks import run_checkout
from shop.core import idempotency
from shop.core.errors import DomainError
from shop.core.money import Money
from shop.payments import services as payments

REQUEST_FIELDS = ("address_id", "shipping_address", "shipping_option", "payment_method")


class CheckoutError(DomainError):
    """A request checkout refuses; ``status`` is the HTTP status an API answers with."""

    def __init__(
        self, code: str, message: str, *, status: int = 400, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message, code, fields, status)


@dataclass(frozen=True)
class CheckoutLineInfo:
    sku_id: int
    product_id: int
    product_name: str
    variant: dict[str, Any]
    quantity: int
    unit_price: Decimal
    currency: str


@dataclass(frozen=True)
class CheckoutInfo:
    checkout_id: str
    state: str  # pending | running | compensating | completed | failed
    step: str  # the step running or being undone; empty once finished
    is_terminal: bool
    failure_code: str
    failure_message: str
    currency: str
    subtotal: Decimal | None
    shipping_total: Decimal | None
    tax_total: Decimal | None
    grand_total: Decimal | None
    shipping_option: str
    shipping_address: dict[str, str]
    order_id: int | None
    order_number: str
    created_at: datetime
    updated_at: datetime
    lines: list[CheckoutLineInfo] = field(default_factory=list)


@dataclass(frozen=True)
class ShippingQuote:
    option: str
    label: str
    zone: str
    currency: str
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    tax_name: str
    min_days: int
    max_days: int


# --- reads -------------------------------------------------------------------------------------


def get_checkout(checkout_id: uuid.UUID | str, user_id: int) -> CheckoutInfo | None:
    """The customer's own checkout; None for an unknown id or someone else's."""
    checkout = Checkout.objects.filter(id=checkout_id, user_id=user_id).first()
    return _info(checkout) if checkout else None


def address_from_request(user_id: int, data: Mapping[str, Any]) -> Address:
    """The shipping address a request names: a saved one (``address_id``) or one given in full."""
    address_id = data.get("address_id")
    if address_id not in (None, ""):
        if isinstance(address_id, bool) or not str(address_id).isdigit() or len(str(address_id)) > 18:
            raise CheckoutError("unknown_address", "address_id must be an id.", fields={"address_id": ["Not an id."]})
        saved = accounts.get_address(user_id, int(address_id))
        if saved is None:
            message = f"You have no saved address with id {address_id}."
            raise CheckoutError("unknown_address", message, fields={"address_id": [message]})
        data = {
            "shipping_address": {
                "name": saved.full_name,
                "line1": saved.line1,
                "line2": saved.line2,
                "city": saved.city,
                "region": saved.region,
                "postcode": saved.postal_code,
                "country": saved.country,
                "phone": saved.phone,
            }
        }
    raw = data.get("shipping_address")
    if raw is None:
        raise CheckoutError(
            "address_required",
            "Choose a saved address (address_id) or give a shipping_address.",
            fields={"shipping_address": ["This field is required."]},
        )
    try:
        return clean_address(raw)
    except ValidationError as error:
        fields = {
            name if name == "shipping_address" else f"shipping_address.{name}": messages
            for name, messages in error.message_dict.items()
        }
        name, messages = next(iter(fields.items()))
        raise CheckoutError("invalid_address", f"{name}: {messages[0]}", fields=fields) from None


def quote_cart(user_id: int, data: Mapping[str, Any]) -> tuple[Address, list[ShippingQuote]]:
    """Every shipping option for the customer's cart (at today's prices) to the address."""
    address = address_from_request(user_id, data)
    lines, skus, _available = _cart_lines(user_id)
    today = [line | {"unit_price": str(skus[line["sku_id"]].price)} for line in lines if line["sku_id"] in skus]
    try:
        quotes = quote_options(checkout_lines.priced(today), address)
    except PricingError as error:
        raise CheckoutError(error.code, error.message, fields={"shipping_address.postcode": [error.message]}) from None
    return address, [_quote_info(q) for q in quotes]


# --- place an order ----------------------------------------------------------------------------


def start_checkout(user_id: int, idempotency_key: str, request: Mapping[str, Any]) -> tuple[CheckoutInfo, bool]:
    """Check the request and the cart, record the checkout and start its saga after commit.

    Returns the checkout and whether it is new (False: the same key and body came before).
    Raises :class:`CheckoutError` (nothing written, nothing held, nothing charged).
    """
    key = idempotency.check_key(idempotency_key)
    body = {name: request[name] for name in REQUEST_FIELDS if request.get(name) not in (None, "")}
    request_hash = idempotency.digest("checkout", body)
    owner = f"user:{user_id}"
    existing = Checkout.objects.filter(owner=owner, idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, request_hash), False

    try:
        payment_method = payments.payment_method_token(request.get("payment_method"))
    except payments.CardDataRejected as error:
        fields = {"payment_method": [error.message]}
        raise CheckoutError("invalid_payment_method", error.message, fields=fields) from None
    option = request.get("shipping_option")
    if option not in ShippingRate.Option.values:
        message = f"Choose a shipping option: {', '.join(ShippingRate.Option.values)}."
        raise CheckoutError("unknown_shipping_option", message, fields={"shipping_option": [message]})
    address = address_from_request(user_id, request)
    lines, skus, available = _cart_lines(user_id)
    _check_lines(user_id, lines, skus, available)
    try:
        quoted = quote(checkout_lines.priced(lines), address, option)
    except PricingError as error:
        raise CheckoutError(error.code, error.message, fields={"shipping_option": [error.message]}) from None
    user = accounts.get_user(user_id)
    if user is None:
        raise CheckoutError("unknown_customer", "Sign in again to place your order.", status=403)

    try:
        with transaction.atomic():
            checkout = Checkout.objects.create(
                owner=owner,
                idempotency_key=key,
                request_hash=request_hash,
                user_id=user_id,
                email=user.email,
                lines=lines,
                shipping_address=address.as_dict(),
                shipping_option=option,
                payment_method=payment_method,
                currency=quoted.total.currency,
                subtotal=quoted.subtotal.amount,
                shipping_total=quoted.shipping.amount,
                tax_total=quoted.tax.amount,
                grand_total=quoted.total.amount,
                deadline=timezone.now() + timedelta(seconds=settings.CHECKOUT_DEADLINE_SECONDS),
            )
            transaction.on_commit(lambda: run_checkout.delay(str(checkout.id)))
    except IntegrityError:
        # The same key arrived concurrently and won: answer as a repeat (or a conflict).
        existing = Checkout.objects.filter(owner=owner, idempotency_key=key).first()
        if existing is None:
            raise
        return _same_request(existing, request_hash), False
    return _info(checkout), True


def _same_request(checkout: Checkout, request_hash: str) -> CheckoutInfo:
    if checkout.request_hash != request_hash:
        raise idempotency.IdempotencyKeyReused()
    return _info(checkout)


def _cart_lines(user_id: int) -> tuple[list[checkout_lines.Line], dict[int, catalog.SkuInfo], dict[int, int]]:
    """The cart's snapshot lines, today's SKUs, and the units available per SKU (the cart's
    view has just read the stock: asking inventory again would be the same query twice)."""
    view = cart.get_cart(cart.CartOwner(user_id=user_id))
    if not view.items:
        raise CheckoutError("empty_cart", "Your cart is empty. Add something to it first.")
    skus = catalog.get_skus(item.sku_id for item in view.items)
    available = {item.sku_id: item.available_quantity for item in view.items}
    return checkout_lines.snapshot(view.items, skus), skus, available


def _check_lines(
    user_id: int, lines: list[checkout_lines.Line], skus: dict[int, catalog.SkuInfo], available: dict[int, int]
) -> None:
    try:
        checkout_lines.check_sellable(lines, skus)
        checkout_lines.check_stock(lines, available)
    except checkout_lines.LineProblem as problem:
        status = 400
        if problem.code == "price_changed":
            cart.accept_current_prices(cart.CartOwner(user_id=user_id), problem.sku_ids)
            status = 409
        raise CheckoutError(problem.code, problem.message, status=status, fields={"cart": [problem.message]}) from None


def _quote_info(quoted: Quote) -> ShippingQuote:
    return ShippingQuote(
        option=quoted.option,
        label=ShippingRate.Option(quoted.option).label,
        zone=quoted.zone,
        currency=quoted.total.currency,
        subtotal=quoted.subtotal.amount,
        shipping=quoted.shipping.amount,
        tax=quoted.tax.amount,
        total=quoted.total.amount,
        tax_name=quoted.tax_name,
        min_days=quoted.min_days,
        max_days=quoted.max_days,
    )


def _info(checkout: Checkout) -> CheckoutInfo:
    step = "" if checkout.is_terminal else STEP_NAMES[min(checkout.step_index, len(STEP_NAMES) - 1)]
    return CheckoutInfo(
        checkout_id=str(checkout.id),
        state=checkout.state,
        step=step,
        is_terminal=checkout.is_terminal,
        failure_code=checkout.failure_code,
        failure_message=checkout.failure_message,
        currency=checkout.currency,
        subtotal=checkout.subtotal,
        shipping_total=checkout.shipping_total,
        tax_total=checkout.tax_total,
        grand_total=checkout.grand_total,
        shipping_option=checkout.shipping_option,
        shipping_address=dict(checkout.shipping_address),
        order_id=checkout.order_id,
        order_number=checkout.order_number,
        created_at=checkout.created_at,
        updated_at=checkout.updated_at,
        lines=[
            CheckoutLineInfo(
                sku_id=line["sku_id"],
                product_id=line["product_id"],
                product_name=line["product_name"],
                variant=line["variant"],
                quantity=line["quantity"],
                unit_price=Money.of(line["unit_price"], line["currency"]).amount,
                currency=line["currency"],
            )
            for line in checkout.lines
        ],
    )
