"""Customer emails, one consumer per email. Each re-reads the order (or ticket) it is about and
records its email once per event (``services.record``); sending happens after commit."""

from __future__ import annotations

from django.urls import reverse

from shop.accounts import services as accounts
from shop.core.events import subscribe
from shop.core.money import Money
from shop.fulfillment import services as fulfillment
from shop.fulfillment.events import ReturnLabelCreated, ShipmentShipped
from shop.notifications.models import Kind
from shop.notifications.services import record
from shop.orders import services as orders
from shop.orders.events import OrderCreated, OrderStatusChanged, ReturnRefunded
from shop.support import services as support
from shop.support.events import TicketReplied


def _order_context(order_id: int) -> dict | None:
    order = orders.get_order(order_id)
    if order is None:
        return None
    return {
        "order": order,
        "order_path": reverse("orders:detail", args=[order.order_id]),
        "total": Money.of(order.grand_total, order.currency),
        "customer_name": str(order.shipping_address.get("name") or order.shipping_address.get("full_name") or ""),
    }


@subscribe(OrderCreated)
def order_confirmation(event: OrderCreated) -> None:
    context = _order_context(event.order_id)
    if context:
        record(event.event_id, Kind.ORDER_CONFIRMATION, [event.email], context, order_id=event.order_id)


@subscribe(ShipmentShipped)
def shipping(event: ShipmentShipped) -> None:
    context = _order_context(event.order_id)
    if context:
        context.update(shipment=event, lines=event.lines, carrier_name=fulfillment.carrier_name(event.carrier))
        record(event.event_id, Kind.SHIPPING, [context["order"].email], context, order_id=event.order_id)


@subscribe(OrderStatusChanged)
def status_emails(event: OrderStatusChanged) -> None:
    kind = {"delivered": Kind.DELIVERY, "cancelled": Kind.CANCELLATION}.get(event.to_status)
    if kind is None or (kind == Kind.DELIVERY and event.from_status != "shipped"):
        return  # a rejected return also moves the order to delivered: no second delivery email
    context = _order_context(event.order_id)
    if context:
        context["reason"] = event.reason
        record(event.event_id, kind, [event.email], context, order_id=event.order_id)


@subscribe(ReturnLabelCreated)
def return_label(event: ReturnLabelCreated) -> None:
    context = _order_context(event.order_id)
    if context:
        context.update(label=event, label_path=reverse("orders:return-label", args=[event.order_id, event.return_id]))
        record(event.event_id, Kind.RETURN_LABEL, [context["order"].email], context, order_id=event.order_id)


@subscribe(ReturnRefunded)
def refund(event: ReturnRefunded) -> None:
    context = _order_context(event.order_id)
    if context:
        context.update(refund=event, amount=Money.of(event.amount, event.currency))
        record(event.event_id, Kind.REFUND, [event.email], context, order_id=event.order_id)


@subscribe(TicketReplied)
def support_reply(event: TicketReplied) -> None:
    """Staff answered a ticket: the customer gets the answer and a link to the conversation.
    Internal notes publish no event; the message is re-read to be sure it is not one."""
    if event.author != "staff":
        return
    ticket = support.get_ticket(event.ticket_id)
    message = support.get_message(event.message_id)
    if ticket is None or message is None or message.internal:
        return
    customer = accounts.get_user(ticket.user_id)
    context = {
        "ticket": ticket,
        "message": message,
        "ticket_path": reverse("support:detail", args=[ticket.ticket_id]),
        "customer_name": customer.name if customer and customer.name != customer.email else "",
    }
    email = customer.email if customer and customer.email else ticket.email
    record(event.event_id, Kind.SUPPORT_REPLY, [email], context, order_id=ticket.order_id)
