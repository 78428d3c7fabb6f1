"""Events the fulfillment domain publishes."""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class ShipmentShipped(Event):
    """A parcel left the warehouse with the carrier, and its share of the payment was captured."""

    event_type = "fulfillment.ShipmentShipped"
    shipment_id: int
    order_id: int
    order_number: str
    carrier: str
    carrier_service: str
    tracking_number: str
    tracking_url: str
    captured: Decimal
    currency: str
    lines: list[dict]


@dataclass(frozen=True)
class ShipmentDelivered(Event):
    event_type = "fulfillment.ShipmentDelivered"
    shipment_id: int
    order_id: int
    order_number: str
    tracking_number: str


@dataclass(frozen=True)
class ShipmentHeld(Event):
    """The parcel was stopped before leaving: capturing its share of the payment failed."""

    event_type = "fulfillment.ShipmentHeld"
    shipment_id: int
    order_id: int
    order_number: str
    reason: str


@dataclass(frozen=True)
class ReturnLabelCreated(Event):
    """The customer's prepaid return label is ready to download."""

    event_type = "fulfillment.ReturnLabelCreated"
    return_id: int
    order_id: int
    order_number: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class ReturnReceived(Event):
    """The warehouse has the returned parcel: the refund can run."""

    event_type = "fulfillment.ReturnReceived"
    return_id: int
    order_id: int
    order_number: str
