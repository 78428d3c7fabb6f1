"""Fulfillment's consumers: ship confirmed orders, stop cancelled ones, handle return parcels."""

from __future__ import annotations

from shop.core.events import subscribe
from shop.fulfillment import services
from shop.orders.events import OrderStatusChanged, ReturnRejected, ReturnRequested


@subscribe(OrderStatusChanged)
def follow_order(event: OrderStatusChanged) -> None:
    if event.to_status == "payment_confirmed":
        services.create_shipments(event.order_id)
    elif event.to_status == "cancelled":
        services.cancel_shipments(event.order_id)


@subscribe(ReturnRequested)
def make_return_label(event: ReturnRequested) -> None:
    services.create_return_parcel(event.return_id, event.order_id, event.order_number, event.lines)


@subscribe(ReturnRejected)
def cancel_return_parcel(event: ReturnRejected) -> None:
    services.cancel_return_parcel(event.return_id)
