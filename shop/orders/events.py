"""Events the orders domain publishes."""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class OrderCreated(Event):
    """A checkout became an order. ``lines`` carry what consumers usually need
    (product_id, sku_id, quantity) so they need not call back for it."""

    event_type = "orders.OrderCreated"
    order_id: int
    order_number: str
    user_id: int | None
    email: str
    currency: str
    grand_total: Decimal
    lines: list[dict]


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    """An order moved in its state machine (``shop.orders.lifecycle``): who moved it and why.
    Consumers re-read the order for anything else they need."""

    event_type = "orders.OrderStatusChanged"
    order_id: int
    order_number: str
    user_id: int | None
    email: str
    from_status: str
    to_status: str
    actor: str
    reason: str


@dataclass(frozen=True)
class ReturnRequested(Event):
    """A customer asked to send units back. ``lines``: line_id, sku_id, product_id,
    product_name, quantity and warehouse_id (where the units go back to)."""

    event_type = "orders.ReturnRequested"
    return_id: int
    order_id: int
    order_number: str
    email: str
    lines: list[dict]


@dataclass(frozen=True)
class ReturnRefunded(Event):
    """The refund saga of a return finished: ``amount`` went back to the customer."""

    event_type = "orders.ReturnRefunded"
    return_id: int
    order_id: int
    order_number: str
    email: str
    amount: Decimal
    currency: str
    refund_id: str


@dataclass(frozen=True)
class ReturnRejected(Event):
    """Staff closed an open return without a refund (the parcel never came, or was not returnable)."""

    event_type = "orders.ReturnRejected"
    return_id: int
    order_id: int
    order_number: str
    reason: str
