"""Events the payments domain publishes, for accounting, fraud, analytics and order consumers.

Amounts are decimals in ``currency``; each event is written in the transaction that
recorded the change, and each amount is reported once (a capture or refund learnt both from
our own call and from the processor's webhook is published by whichever records it first).
"""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class PaymentAuthorized(Event):
    """The card issuer holds ``amount`` for this payment; nothing is charged yet."""

    event_type = "payments.PaymentAuthorized"
    payment_id: int
    reference: str
    intent_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentCaptured(Event):
    """``amount`` was charged now (``total_captured`` so far). ``final``: no more captures;
    whatever was authorized and not captured has been released."""

    event_type = "payments.PaymentCaptured"
    payment_id: int
    reference: str
    intent_id: str
    amount: Decimal
    total_captured: Decimal
    currency: str
    final: bool


@dataclass(frozen=True)
class PaymentVoided(Event):
    """``amount_released`` of the authorization was released without being charged: all of it
    when nothing was captured, the uncaptured rest after partial captures."""

    event_type = "payments.PaymentVoided"
    payment_id: int
    reference: str
    intent_id: str
    amount_released: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentRefunded(Event):
    """``amount`` went back to the customer (``total_refunded`` so far). ``refund_id`` is empty
    when the refund was learnt from the processor (e.g. one made in Stripe's dashboard)."""

    event_type = "payments.PaymentRefunded"
    payment_id: int
    reference: str
    intent_id: str
    amount: Decimal
    total_refunded: Decimal
    currency: str
    refund_id: str


@dataclass(frozen=True)
class PaymentFailed(Event):
    """The authorization did not happen: declined, failed 3D Secure, or unusable card details."""

    event_type = "payments.PaymentFailed"
    payment_id: int
    reference: str
    intent_id: str | None
    amount: Decimal
    currency: str
    code: str
    message: str
