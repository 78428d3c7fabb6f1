"""The orders domain's published interface.

``create_order`` is idempotent on the checkout id: the checkout saga may retry
its "create the order" step after a crash and still get exactly one order.

The lifecycle (docs/orders.md): the state machine is the table in
``shop.orders.lifecycle``; moves are made by :func:`cancel_order`,
:func:`confirm_payment`, :func:`shipments_progressed` (fulfillment),
:func:`request_return`, :func:`return_received` and :func:`reject_return`, each
under the order's row lock, recorded and published as ``OrderStatusChanged``.
Refusals raise :class:`InvalidTransition` or :class:`ReturnRefused` and change nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.core.events import publish
from shop.core.keyset import KeysetPage, paginate
from shop.core.money import Money
from shop.orders import lifecycle
from shop.orders.events import OrderCreated
from shop.orders.lifecycle import InvalidTransition, allowed_targets
from shop.orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from shop.orders.returns import (
    ReturnInfo,
    ReturnLineInfo,
    ReturnNotFound,
    ReturnRefused,
    get_return,
    reject_return,
    request_return,
    return_received,
    return_window_days,
    return_window_ends,
    returnable_quantities,
    returns_for_user,
    returns_of,
)
from shop.orders.transitions import OrderNotFound, cancel_order, confirm_payment, shipments_progressed

__all__ = [
    "InvalidTransition",
    "NewOrderLine",
    "OrderInfo",
    "OrderLineInfo",
    "OrderNotFound",
    "OrderStatus",
    "OrderTotals",
    "ReturnInfo",
    "ReturnLineInfo",
    "ReturnNotFound",
    "ReturnRefused",
    "StatusChangeInfo",
    "allowed_actions",
    "cancel_order",
    "confirm_payment",
    "create_order",
    "get_order",
    "get_order_by_checkout",
    "get_return",
    "has_purchased",
    "order_history",
    "orders_for_user",
    "purchased_product_ids",
    "reject_return",
    "request_return",
    "return_received",
    "return_window_days",
    "return_window_ends",
    "returnable_quantities",
    "returns_for_user",
    "returns_of",
    "shipments_progressed",
]


@dataclass(frozen=True)
class NewOrderLine:
    sku_id: int
    product_id: int
    product_name: str
    sku_code: str
    quantity: int
    unit_price: Decimal
    variant: dict[str, Any] = field(default_factory=dict)
    warehouse_id: int | None = None


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Money
    shipping: Money
    tax: Money
    grand_total: Money


@dataclass(frozen=True)
class OrderLineInfo:
    sku_id: int
    product_id: int
    product_name: str
    sku_code: str
    variant: dict[str, Any]
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    warehouse_id: int | None
    line_id: int | None = None


@dataclass(frozen=True)
class OrderInfo:
    order_id: int
    number: str
    checkout_id: str
    user_id: int | None
    email: str
    status: str
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    shipping_method: str
    shipping_address: dict[str, Any]
    payment_reference: str
    placed_at: datetime
    lines: list[OrderLineInfo]
    delivered_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return lifecycle.label(self.status)


def _info(order: Order) -> OrderInfo:
    return OrderInfo(
        order_id=order.id,
        number=order.number,
        checkout_id=str(order.checkout_id),
        user_id=order.user_id,
        email=order.email,
        status=order.status,
        currency=order.currency,
        subtotal=order.subtotal,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        grand_total=order.grand_total,
        shipping_method=order.shipping_method,
        shipping_address=dict(order.shipping_address),
        payment_reference=order.payment_reference,
        placed_at=order.placed_at,
        lines=[
            OrderLineInfo(
                sku_id=line.sku_id,
                product_id=line.product_id,
                product_name=line.product_name,
                sku_code=line.sku_code,
                variant=dict(line.variant),
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
                warehouse_id=line.warehouse_id,
                line_id=line.id,
            )
            for line in order.lines.all()
        ],
        delivered_at=order.delivered_at,
    )


def _new_number() -> str:
    """Amazon-style order numbers: the date and seven random digits."""
    return f"{timezone.now():%y%m%d}-{secrets.randbelow(10**7):07d}"


def create_order(
    *,
    checkout_id: str,
    user_id: int | None,
    email: str,
    lines: list[NewOrderLine],
    totals: OrderTotals,
    shipping_method: str,
    shipping_address: dict[str, Any],
    payment_reference: str,
    billing_address: dict[str, Any] | None = None,
) -> OrderInfo:
    """Record a placed order and publish OrderCreated; returns the existing order
    if this checkout already created one."""
    if not lines:
        raise ValueError("an order needs at least one line")
    existing = get_order_by_checkout(checkout_id)
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _insert_order(
                    checkout_id=checkout_id,
                    user_id=user_id,
                    email=email,
                    lines=lines,
                    totals=totals,
                    shipping_method=shipping_method,
                    shipping_address=shipping_address,
                    billing_address=billing_address,
                    payment_reference=payment_reference,
                )
        except IntegrityError:
            existing = get_order_by_checkout(checkout_id)  # a concurrent retry won the race
            if existing is not None:
                return existing
            # else the random order number collided: draw another
    raise RuntimeError("could not allocate an order number")


def _insert_order(
    *,
    checkout_id: str,
    user_id: int | None,
    email: str,
    lines: list[NewOrderLine],
    totals: OrderTotals,
    shipping_method: str,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any] | None,
    payment_reference: str,
) -> OrderInfo:
    currency = totals.grand_total.currency
    order = Order.objects.create(
        number=_new_number(),
        checkout_id=checkout_id,
        user_id=user_id,
        email=email,
        currency=currency,
        subtotal=totals.subtotal.amount,
        shipping_total=totals.shipping.amount,
        tax_total=totals.tax.amount,
        grand_total=totals.grand_total.amount,
        shipping_method=shipping_method,
        shipping_address=shipping_address,
        billing_address=billing_address,
        payment_reference=payment_reference,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku_id=line.sku_id,
            product_id=line.product_id,
            product_name=line.product_name,
            sku_code=line.sku_code,
            variant=line.variant,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=(Money.of(line.unit_price, currency) * line.quantity).amount,
            warehouse_id=line.warehouse_id,
        )
        for line in lines
    )
    OrderStatusChange.objects.create(order=order, to_status=OrderStatus.PLACED, actor="system", reason="checkout")
    publish(
        OrderCreated(
            order_id=order.id,
            order_number=order.number,
            user_id=user_id,
            email=email,
            currency=currency,
            grand_total=order.grand_total,
            lines=[{"product_id": x.product_id, "sku_id": x.sku_id, "quantity": x.quantity} for x in lines],
        )
    )
    return _info(Order.objects.prefetch_related("lines").get(id=order.id))


def get_order(order_id: int) -> OrderInfo | None:
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    return _info(order) if order else None


def get_order_by_checkout(checkout_id: str) -> OrderInfo | None:
    order = Order.objects.prefetch_related("lines").filter(checkout_id=checkout_id).first()
    return _info(order) if order else None


def orders_for_user(user_id: int, *, cursor: str | None = None, size: int = 20) -> KeysetPage[OrderInfo]:
    """A customer's orders, newest first, in keyset pages (InvalidCursor on a bad cursor)."""
    page = paginate(
        Order.objects.filter(user_id=user_id).prefetch_related("lines"), ["-placed_at", "-id"], cursor, size
    )
    return KeysetPage([_info(order) for order in page.items], page.next_cursor, page.previous_cursor)


def has_purchased(user_id: int, product_id: int) -> bool:
    """Whether the customer has a non-cancelled order containing the product (verified purchase)."""
    return (
        OrderLine.objects.filter(product_id=product_id, order__user_id=user_id)
        .exclude(order__status=OrderStatus.CANCELLED)
        .exists()
    )


def purchased_product_ids(user_id: int, *, limit: int = 500) -> list[int]:
    """Products the customer bought recently (newest first, bounded)."""
    rows = (
        OrderLine.objects.filter(order__user_id=user_id)
        .exclude(order__status=OrderStatus.CANCELLED)
        .order_by("-order__placed_at")
        .values_list("product_id", flat=True)[:limit]
    )
    return list(dict.fromkeys(rows))


@dataclass(frozen=True)
class StatusChangeInfo:
    from_status: str
    to_status: str
    actor: str
    reason: str
    at: datetime

    @property
    def label(self) -> str:
        return lifecycle.label(self.to_status)

    @property
    def customer_note(self) -> str:
        """The reason as the customer may see it: their own words (a return's reason), never the
        system's or staff's internal references (payment ids, parcel codes)."""
        return self.reason if self.actor.startswith("customer:") else ""


def order_history(order_id: int) -> list[StatusChangeInfo]:
    """The order's timeline, oldest first (bounded: an order makes a handful of moves)."""
    rows = OrderStatusChange.objects.filter(order_id=order_id).order_by("created_at", "id")[:200]
    return [StatusChangeInfo(r.from_status, r.to_status, r.actor, r.reason, r.created_at) for r in rows]


def allowed_actions(order: OrderInfo, actor: str) -> list[str]:
    """What ``actor`` may do to the order now: target statuses from the state machine's table,
    narrowed by the rules the table cannot see (the return window)."""
    targets = [t.target for t in allowed_targets(order.status, actor)]
    if OrderStatus.RETURN_REQUESTED in targets:
        ends = return_window_ends(order.delivered_at)
        if ends is None or timezone.now() > ends or not any(returnable_quantities(order.order_id).values()):
            targets.remove(OrderStatus.RETURN_REQUESTED)
    return targets
