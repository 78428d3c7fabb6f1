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
