"""Everything a customer's order page or API detail shows, gathered in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shop.fulfillment import services as fulfillment
from shop.orders import services
from shop.orders.models import OrderStatus


@dataclass(frozen=True)
class ReturnView:
    ret: services.ReturnInfo
    label_ready: bool
    tracking_number: str


@dataclass(frozen=True)
class OrderDetail:
    order: services.OrderInfo
    history: list[services.StatusChangeInfo]
    shipments: list[fulfillment.ShipmentInfo]
    returns: list[ReturnView]
    can_cancel: bool
    can_return: bool
    return_window_ends: datetime | None


def return_views(order_id: int) -> list[ReturnView]:
    """The order's returns with their prepaid labels' state; the parcels are read in one query."""
    returns = services.returns_of(order_id)
    parcels = fulfillment.return_parcels(ret.return_id for ret in returns)
    views = []
    for ret in returns:
        parcel = parcels.get(ret.return_id)
        views.append(ReturnView(ret, parcel is not None, parcel.tracking_number if parcel else ""))
    return views


def order_detail(order: services.OrderInfo, actor: str) -> OrderDetail:
    actions = services.allowed_actions(order, actor)
    return OrderDetail(
        order=order,
        history=services.order_history(order.order_id),
        shipments=fulfillment.shipments_for_order(order.order_id),
        returns=return_views(order.order_id),
        can_cancel=OrderStatus.CANCELLED in actions,
        can_return=OrderStatus.RETURN_REQUESTED in actions,
        return_window_ends=services.return_window_ends(order.delivered_at),
    )
