"""Moving orders through the state machine: under the order's row lock, recorded, published.

Every move goes through :func:`move`, which checks the table in
``shop.orders.lifecycle``, appends the history row and publishes
``OrderStatusChanged`` in the caller's transaction, so a refused move changes
nothing and an accepted one is never half-written. Callers lock the order first
(:func:`lock`); anything else they lock (returns) comes after it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from shop.core.events import publish
from shop.orders import lifecycle
from shop.orders.events import OrderStatusChanged
from shop.orders.lifecycle import FULFILLMENT_PATH, InvalidTransition
from shop.orders.models import Order, OrderStatus, OrderStatusChange
from shop.payments import services as payments

log = logging.getLogger(__name__)
SYSTEM = "system"


class OrderNotFound(Exception):
    pass


def lock(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise OrderNotFound(f"No order with id {order_id}.")
    return order


def move(order: Order, target: str, actor: str, reason: str = "") -> None:
    """Move a locked order to ``target`` (or raise :class:`InvalidTransition`, changing nothing)."""
    lifecycle.check(order.status, target, actor)
    source = order.status
    order.status = target
    fields = ["status", "updated_at"]
    if target == OrderStatus.DELIVERED and order.delivered_at is None:
        order.delivered_at = timezone.now()
        fields.append("delivered_at")
    order.save(update_fields=fields)
    OrderStatusChange.objects.create(
        order=order, from_status=source, to_status=target, actor=actor, reason=reason[:500]
    )
    publish(
        OrderStatusChanged(
            order_id=order.id,
            order_number=order.number,
            user_id=order.user_id,
            email=order.email,
            from_status=source,
            to_status=target,
            actor=actor,
            reason=reason[:500],
        )
    )


def cancel_order(order_id: int, *, actor: str, reason: str = "") -> None:
    """Cancel while the order is not picked yet. The authorization is voided and the stock put
    back right after, by the orders consumer of the cancellation (``handlers.settle_cancellation``)."""
    with transaction.atomic():
        order = lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            raise InvalidTransition("The order is already cancelled.", "already_cancelled")
        if order.status not in (OrderStatus.PLACED, OrderStatus.PAYMENT_CONFIRMED):
            raise InvalidTransition(
                f"The order is {lifecycle.label(order.status).lower()}: it can no longer be cancelled.",
                "too_late_to_cancel",
            )
        move(order, OrderStatus.CANCELLED, actor, reason or "cancelled")


def confirm_payment(order_id: int, *, actor: str = SYSTEM) -> bool:
    """``placed → payment_confirmed`` once the order's payment is authorized for its whole total.

    True if the order is (now or already) past ``placed``. For the system this is called
    on OrderCreated and on PaymentAuthorized, whichever finds both ready; a payment not
    authorized yet is False. Staff get :class:`InvalidTransition` saying why.
    """
    order = Order.objects.filter(id=order_id).first()
    if order is None:
        raise OrderNotFound(f"No order with id {order_id}.")
    if order.status != OrderStatus.PLACED:
        return True
    problem = _payment_problem(order)
    if problem:
        if lifecycle.role_of(actor) == SYSTEM:
            log.info("order %s: payment not confirmed yet (%s)", order.number, problem)
            return False
        raise InvalidTransition(f"The payment cannot be confirmed: {problem}.", "payment_not_authorized")
    with transaction.atomic():
        order = lock(order_id)
        if order.status != OrderStatus.PLACED:
            return True
        move(order, OrderStatus.PAYMENT_CONFIRMED, actor, f"payment {order.payment_reference} authorized")
    return True


def _payment_problem(order: Order) -> str:
    try:
        payment = payments.get_payment(order.payment_reference)
    except payments.PaymentNotFound:
        return "no payment has this reference"
    if payment.status != "authorized":
        return f"the payment is {payment.status}"
    if payment.capturable.currency != order.currency or payment.capturable.amount < order.grand_total:
        return f"only {payment.capturable} is authorized"
    return ""


def cancel_unpaid(reference: str, reason: str) -> None:
    """The payment of a placed order failed: the system cancels the order (a no-op otherwise)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(payment_reference=reference).first()
        if order is not None and order.status == OrderStatus.PLACED:
            move(order, OrderStatus.CANCELLED, SYSTEM, reason)


def shipments_progressed(order_id: int, stages: Sequence[str], *, reason: str) -> str:
    """Fulfillment reports the stages all of the order's shipments are at, inside its own
    transaction (having locked the shipments first: one lock order, shipments then order).

    The order moves, one table row at a time, to where ``lifecycle.stage_of_shipments``
    puts it, and never backwards. A cancelled order raises :class:`InvalidTransition`,
    which is how a pick racing a cancellation loses. Returns the order's status.
    """
    order = lock(order_id)
    if order.status == OrderStatus.CANCELLED:
        raise InvalidTransition(f"Order {order.number} was cancelled.", "order_cancelled")
    if order.status == OrderStatus.PLACED:
        raise InvalidTransition(f"Order {order.number} has no confirmed payment yet.", "payment_not_confirmed")
    target = lifecycle.stage_of_shipments(list(stages))
    if order.status not in FULFILLMENT_PATH:
        return order.status  # past delivery (a return): late parcel news changes nothing
    current, wanted = FULFILLMENT_PATH.index(order.status), FULFILLMENT_PATH.index(target)
    for stage in FULFILLMENT_PATH[current + 1 : wanted + 1]:
        move(order, stage, SYSTEM, reason)
    return order.status
