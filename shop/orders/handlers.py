"""The orders domain's consumers: payment confirmation, settling cancellations, returns received.

``placed → payment_confirmed``: the checkout authorizes the card and then creates the
order, so usually the payment is already authorized when ``OrderCreated`` is handled.
When it is not (3D Secure still pending), ``PaymentAuthorized`` arrives later and
confirms it then. Both consumers call the same idempotent check, which re-reads the
payment from ``shop.payments.services``, so their order does not matter.
"""

from __future__ import annotations

import logging

from shop.core.events import subscribe
from shop.fulfillment.events import ReturnReceived
from shop.notifications import services as notifications
from shop.orders import stock
from shop.orders.events import OrderCreated, OrderStatusChanged
from shop.orders.lifecycle import InvalidTransition
from shop.orders.models import Order, OrderStatus
from shop.orders.returns import return_received
from shop.orders.transitions import SYSTEM, cancel_unpaid, confirm_payment
from shop.payments import services as payments
from shop.payments.events import PaymentAuthorized, PaymentFailed

log = logging.getLogger(__name__)


@subscribe(OrderCreated)
def confirm_payment_of_new_order(event: OrderCreated) -> None:
    confirm_payment(event.order_id)


@subscribe(PaymentAuthorized)
def confirm_payment_when_authorized(event: PaymentAuthorized) -> None:
    order_id = Order.objects.filter(payment_reference=event.reference).values_list("id", flat=True).first()
    if order_id is not None:  # no order yet: OrderCreated's consumer will find the payment authorized
        confirm_payment(order_id)


@subscribe(PaymentFailed)
def cancel_when_payment_failed(event: PaymentFailed) -> None:
    cancel_unpaid(event.reference, f"payment failed: {event.code}")


@subscribe(OrderStatusChanged)
def settle_cancellation(event: OrderStatusChanged) -> None:
    """A cancelled order's authorization is voided and its units put back. Both calls are
    idempotent; an unavailable processor raises, and the delivery is retried."""
    if event.to_status != OrderStatus.CANCELLED:
        return
    order = Order.objects.prefetch_related("lines").get(id=event.order_id)
    try:
        payments.void(order.payment_reference)
    except payments.InvalidPaymentState as error:
        notifications.alert_staff(
            "void_failed",
            f"Cancelled order {order.number}: the payment could not be voided",
            f"{error.code}: {error.message}. Check the payment {order.payment_reference} and refund if needed.",
            reference=f"order-{order.id}",
        )
    done = stock.put_back_cancelled(
        order.id,
        order.number,
        str(order.checkout_id),
        [(line.sku_id, line.warehouse_id, line.quantity) for line in order.lines.all()],
    )
    log.info("order %s cancelled: payment voided, stock %s", order.number, done)


@subscribe(ReturnReceived)
def refund_received_return(event: ReturnReceived) -> None:
    try:
        return_received(event.return_id, actor=SYSTEM)
    except InvalidTransition as refused:
        log.warning("return %s received but %s; nothing to refund", event.return_id, refused.message)
