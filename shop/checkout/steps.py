"""The checkout saga, step by step, each with its compensation (docs/checkout.md).

Every action and compensation is idempotent, keyed by the checkout: the hold and the
payment are both named ``checkout-<id>``, the restock ``checkout-<id>-undo``, and the
order is unique per checkout id. After a crash the step that was running runs again
and finds its own earlier effect instead of doubling it.

A business failure raises ``StepFailed`` (the saga compensates and tells the customer
why); anything else is retried with backoff, and after ``CHECKOUT_MAX_ATTEMPTS``
compensated too.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from shop.cart import services as cart
from shop.catalog import services as catalog
from shop.checkout import lines as checkout_lines
from shop.checkout.models import Checkout
from shop.checkout.pricing import Address, PricingError, quote
from shop.core.money import Money
from shop.core.saga import RollForward, StepFailed, Updates, step
from shop.inventory import services as inventory
from shop.orders import services as orders
from shop.payments import services as payments

log = logging.getLogger(__name__)

NOT_CHARGED = "You have not been charged; your cart is unchanged."


class StockContention(Exception):
    """Inventory could not settle the stock rows in time; retry the step."""


def reference(checkout: Checkout) -> str:
    """The name of the checkout's stock hold and of its payment."""
    return f"checkout-{checkout.id}"


def owner(checkout: Checkout) -> cart.CartOwner:
    return cart.CartOwner(user_id=checkout.user_id)


# --- 1. validate the cart against today's catalog, then hold the stock --------------------------


def validate_and_reserve(checkout: Checkout) -> Updates:
    lines = checkout.lines
    try:
        checkout_lines.check_sellable(lines, catalog.get_skus(line["sku_id"] for line in lines))
    except checkout_lines.LineProblem as problem:
        if problem.code == "price_changed" and checkout.user_id is not None:
            try:
                cart.accept_current_prices(owner(checkout), problem.sku_ids)  # the next checkout charges it
            except Exception:  # the customer is told either way; the cart page shows today's price
                log.exception("checkout %s: could not update the cart's prices", checkout.id)
        raise StepFailed(problem.code, problem.message) from problem
    held = inventory.reserve(
        reference(checkout),
        [inventory.Line(line["sku_id"], line["quantity"]) for line in lines],
        ttl=timedelta(seconds=settings.CHECKOUT_HOLD_TTL_SECONDS),
    )
    if held.ok:
        return {
            "allocations": [
                {"sku_id": line.sku_id, "warehouse_id": line.warehouse_id, "quantity": line.quantity}
                for line in held.lines
            ]
        }
    if held.error == "contention":
        raise StockContention(held.message)
    if held.error == "insufficient_stock":
        raise StepFailed("out_of_stock", f"{checkout_lines.shortage_message(lines, held.shortages)} {NOT_CHARGED}")
    raise StepFailed(f"hold_{held.error}", f"We could not set your items aside. {NOT_CHARGED}")


def release_hold(checkout: Checkout) -> None:
    """Give the held units back. A hold the commit step sold was restocked by that step's
    compensation, which runs first; release then answers ``committed`` and has nothing to do."""
    inventory.release(reference(checkout))


# --- 2. price it: subtotal, shipping for the option and destination, tax -------------------------


def price_checkout(checkout: Checkout) -> Updates:
    try:
        priced = quote(
            checkout_lines.priced(checkout.lines), Address(**checkout.shipping_address), checkout.shipping_option
        )
    except PricingError as error:
        raise StepFailed(error.code, f"{error.message} {NOT_CHARGED}") from error
    if checkout.grand_total is not None and priced.total.amount != checkout.grand_total:
        # As with a product's price, the shopper pays only the total they were shown.
        shown = Money.of(checkout.grand_total, checkout.currency)
        raise StepFailed(
            "total_changed",
            f"Shipping or tax changed while we placed your order: the total is now {priced.total}, "
            f"not {shown}. {NOT_CHARGED} Review the new total and place the order again.",
        )
    return {
        "currency": priced.total.currency,
        "subtotal": priced.subtotal.amount,
        "shipping_total": priced.shipping.amount,
        "tax_total": priced.tax.amount,
        "grand_total": priced.total.amount,
    }


# --- 3. authorize the payment (captured later, at shipment) --------------------------------------


def authorize_payment(checkout: Checkout) -> None:
    try:
        result = payments.authorize(
            reference(checkout),
            Money.of(checkout.grand_total, checkout.currency),
            checkout.payment_method,
            checkout.email,
            description=f"Checkout {checkout.id}",
        )
    except payments.ProcessorUnavailable:
        raise  # retried with the same idempotency key: never a second charge
    except payments.PaymentError as error:
        raise StepFailed(error.code, f"Your payment could not be processed: {error.message} {NOT_CHARGED}") from error
    if result.approved:
        return
    if result.declined:
        raise StepFailed(result.code or "card_declined", f"{result.message} {NOT_CHARGED}")
    if result.requires_action:
        raise StepFailed(
            "authentication_required",
            "Your bank asked to confirm this payment, which our checkout cannot do yet. "
            f"Please try another card. {NOT_CHARGED}",
        )
    raise RuntimeError(f"payment {result.reference} is still {result.status}")  # retried


def void_payment(checkout: Checkout) -> None:
    """Release the authorization; a no-op if it never happened or was declined."""
    payments.void(reference(checkout))


# --- 4. commit the stock: the hold becomes a sale ------------------------------------------------


def commit_stock(checkout: Checkout) -> None:
    committed = inventory.commit(reference(checkout))
    if not committed.ok:
        raise StepFailed(f"hold_{committed.error}", f"We could not keep your items set aside. {NOT_CHARGED}")


def restock(checkout: Checkout) -> None:
    """Put the sold units back; nothing happens if the hold was never committed."""
    inventory.restock(
        f"{reference(checkout)}-undo", None, f"checkout {checkout.id} compensated", hold_reference=reference(checkout)
    )


# --- 5. create the order (which publishes OrderCreated), then empty the bought lines -------------


def create_order_and_clear_cart(checkout: Checkout) -> Updates:
    by_sku = {line["sku_id"]: line for line in checkout.lines}
    order_lines = []
    for held in checkout.allocations:  # one order line per warehouse a SKU ships from
        line = by_sku[held["sku_id"]]
        order_lines.append(
            orders.NewOrderLine(
                sku_id=line["sku_id"],
                product_id=line["product_id"],
                product_name=line["product_name"],
                sku_code=line["sku_code"],
                quantity=held["quantity"],
                unit_price=Money.of(line["unit_price"], checkout.currency).amount,
                variant=line["variant"],
                warehouse_id=held["warehouse_id"],
            )
        )
    currency = checkout.currency
    order = orders.create_order(
        checkout_id=str(checkout.id),
        user_id=checkout.user_id,
        email=checkout.email,
        lines=order_lines,
        totals=orders.OrderTotals(
            subtotal=Money.of(checkout.subtotal, currency),
            shipping=Money.of(checkout.shipping_total, currency),
            tax=Money.of(checkout.tax_total, currency),
            grand_total=Money.of(checkout.grand_total, currency),
        ),
        shipping_method=checkout.shipping_option,
        shipping_address=checkout.shipping_address,
        payment_reference=reference(checkout),
    )
    return _placed(checkout, order)


def keep_placed_order(checkout: Checkout) -> None:
    """``create_order`` is atomic and idempotent, so a step that gave up created nothing, unless
    the answer to its last commit was lost, or the deadline passed while it was being retried
    after a crash. If the order exists, undoing the payment and stock would betray it: the saga
    rolls forward and completes instead."""
    order = orders.get_order_by_checkout(str(checkout.id))
    if order is not None:
        log.warning("checkout %s: order %s exists; completing instead of compensating", checkout.id, order.number)
        raise RollForward(_placed(checkout, order))


def _placed(checkout: Checkout, order: orders.OrderInfo) -> Updates:
    """The order stands: drop its lines from the cart and remember it on the checkout."""
    if checkout.user_id is not None:
        try:
            cart.remove_ordered(owner(checkout), sorted({line["sku_id"] for line in checkout.lines}))
        except Exception:  # a line left in the cart is an annoyance, not a reason to undo the order
            log.exception("checkout %s: order %s placed, but its lines stay in the cart", checkout.id, order.number)
    return {"order_id": order.order_id, "order_number": order.number}


CHECKOUT_STEPS = [
    step("reserve", validate_and_reserve, release_hold),
    step("price", price_checkout),
    step("authorize", authorize_payment, void_payment),
    step("commit", commit_stock, restock),
    step("create_order", create_order_and_clear_cart, keep_placed_order),
]
STEP_NAMES = [s.name for s in CHECKOUT_STEPS]
