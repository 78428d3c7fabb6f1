"""Bring a Payment row up to what the processor reports, once, in order, whatever the source.

Our own calls and the processor's webhooks report the same facts, possibly late, twice or out
of order. Both go through :func:`apply_snapshot`: amounts only grow, statuses only move
forward (a terminal one never changes), and each change appends a history row and publishes
the events for exactly the difference. Replaying any snapshot is therefore a no-op.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shop.core.events import Event, publish
from shop.core.money import Money
from shop.payments.events import PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided
from shop.payments.models import Payment, PaymentStatus, PaymentStatusChange

S = PaymentStatus
RANK = {
    S.PENDING: 0,
    S.REQUIRES_ACTION: 1,
    S.AUTHORIZED: 2,
    S.FAILED: 2,
    S.PARTIALLY_CAPTURED: 3,
    S.CAPTURED: 4,
    S.VOIDED: 4,
    S.PARTIALLY_REFUNDED: 5,
    S.REFUNDED: 6,
}
TERMINAL = {S.FAILED, S.VOIDED, S.REFUNDED}
NOT_YET_AUTHORIZED = {S.PENDING, S.REQUIRES_ACTION}
CAPTURED_STATES = {S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED}


def _money(minor: int, currency: str) -> Decimal:
    return Money.from_minor(int(minor), currency.upper()).amount


def status_of(intent: dict[str, Any]) -> str:
    """Our status for a PaymentIntent status (refunds are layered on by the caller)."""
    status, received = intent["status"], intent.get("amount_received") or 0
    if status == "requires_capture":
        return S.PARTIALLY_CAPTURED if received else S.AUTHORIZED
    if status == "succeeded":
        return S.CAPTURED
    if status == "canceled":
        return S.CAPTURED if received else S.VOIDED
    if status == "requires_action":
        return S.REQUIRES_ACTION
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return S.FAILED
    return S.PENDING


def apply_snapshot(
    payment: Payment,
    *,
    source: str,
    intent: dict[str, Any] | None = None,
    charge: dict[str, Any] | None = None,
    refund_id: str = "",
) -> list[Event]:
    """Apply a PaymentIntent and/or Charge snapshot to the locked ``payment``; publish; return the events.

    Must run inside the transaction that holds ``payment``'s row lock.
    """
    if charge is None and intent is not None and isinstance(intent.get("latest_charge"), dict):
        charge = intent["latest_charge"]
    before = _state(payment)
    currency = payment.currency
    if intent is not None:
        _take_intent(payment, intent, currency)
    if charge is not None:
        _take_charge(payment, charge, currency)
    if payment.status in CAPTURED_STATES and payment.amount_refunded > 0:
        fully = payment.amount_refunded >= payment.amount_captured
        _move(payment, S.REFUNDED if fully else S.PARTIALLY_REFUNDED)
    after = _state(payment)
    if after == before:
        return []
    payment.save()
    PaymentStatusChange.objects.create(
        payment=payment,
        from_status=before["status"],
        to_status=payment.status,
        source=source[:120],
        detail={key: str(value) for key, value in after.items() if before[key] != value and key != "status"},
    )
    events = _events(payment, before, refund_id)
    for event in events:
        publish(event)
    return events


def fail_without_intent(payment: Payment, *, source: str, code: str, message: str) -> list[Event]:
    """The processor refused the authorization before creating any intent (e.g. an unusable token)."""
    if payment.status not in NOT_YET_AUTHORIZED:
        return []
    before = payment.status
    payment.status = S.FAILED
    payment.failure_code, payment.failure_message = code[:60], message[:500]
    payment.save()
    PaymentStatusChange.objects.create(
        payment=payment, from_status=before, to_status=S.FAILED, source=source[:120], detail={"code": code}
    )
    event = _failed(payment)
    publish(event)
    return [event]


def _state(payment: Payment) -> dict[str, Any]:
    return {
        "status": payment.status,
        "intent_id": payment.intent_id,
        "authorized": payment.amount_authorized,
        "captured": payment.amount_captured,
        "capturable": payment.amount_capturable,
        "refunded": payment.amount_refunded,
    }


def _move(payment: Payment, status: str) -> bool:
    """Forward only: a terminal status stays, a lower rank never replaces a higher one."""
    if status == payment.status or payment.status in TERMINAL or RANK[status] <= RANK[payment.status]:
        return False
    payment.status = status
    return True


def _take_intent(payment: Payment, intent: dict[str, Any], currency: str) -> None:
    payment.intent_id = payment.intent_id or intent["id"]
    received = _money(intent.get("amount_received") or 0, currency)
    stale = received < payment.amount_captured
    moved = False if stale else _move(payment, status_of(intent))
    if received > payment.amount_captured:
        payment.amount_captured = received
    if moved or (not stale and payment.status in (S.AUTHORIZED, S.PARTIALLY_CAPTURED)):
        payment.amount_capturable = _money(intent.get("amount_capturable") or 0, currency)
    if payment.status not in (S.AUTHORIZED, S.PARTIALLY_CAPTURED):
        payment.amount_capturable = Decimal(0)
    if moved and payment.status == S.REQUIRES_ACTION:
        action = intent.get("next_action") or {}
        redirect = action.get("redirect_to_url") or {}
        payment.next_action_url = (redirect.get("url") or (action.get("use_stripe_sdk") or {}).get("stripe_js") or "")[
            :1000
        ]
        payment.client_secret = intent.get("client_secret") or ""
    elif moved:
        payment.next_action_url = payment.client_secret = ""
    if moved and payment.status == S.FAILED:
        error = intent.get("last_payment_error") or {}
        payment.failure_code = (error.get("decline_code") or error.get("code") or "card_declined")[:60]
        payment.failure_message = (error.get("message") or "")[:500]
        _take_card((error.get("payment_method") or {}).get("card") or {}, payment)


def _take_charge(payment: Payment, charge: dict[str, Any], currency: str) -> None:
    details = (charge.get("payment_method_details") or {}).get("card") or {}
    _take_card(details, payment)
    if details:
        payment.multicapture = (details.get("multicapture") or {}).get("status") == "available"
    refunded = min(_money(charge.get("amount_refunded") or 0, currency), payment.amount_captured)
    if refunded > payment.amount_refunded:
        payment.amount_refunded = refunded


def _take_card(card: dict[str, Any], payment: Payment) -> None:
    if card.get("last4"):
        payment.card_brand = (card.get("brand") or "")[:20]
        payment.card_last4 = card["last4"][-4:]


def _events(payment: Payment, before: dict[str, Any], refund_id: str) -> list[Event]:
    common = {"payment_id": payment.pk, "reference": payment.reference, "intent_id": payment.intent_id or ""}
    currency = payment.currency
    events: list[Event] = []
    was, now = before["status"], payment.status
    if was in NOT_YET_AUTHORIZED and now not in NOT_YET_AUTHORIZED and now != S.FAILED:
        events.append(PaymentAuthorized(**common, amount=payment.amount_authorized, currency=currency))
    captured = payment.amount_captured - before["captured"]
    final = now in CAPTURED_STATES
    if captured > 0:
        events.append(
            PaymentCaptured(
                **common, amount=captured, total_captured=payment.amount_captured, currency=currency, final=final
            )
        )
    # Released without a capture in this change: a void, or a cancel after partial captures
    # (a final capture releases the rest too, and says so with ``final``).
    if captured == 0 and now in (S.VOIDED, *CAPTURED_STATES) and was not in (S.VOIDED, *CAPTURED_STATES):
        released = payment.amount_authorized if was in NOT_YET_AUTHORIZED else before["capturable"]
        if released > 0:
            events.append(PaymentVoided(**common, amount_released=released, currency=currency))
    refunded = payment.amount_refunded - before["refunded"]
    if refunded > 0:
        events.append(
            PaymentRefunded(
                **common,
                amount=refunded,
                total_refunded=payment.amount_refunded,
                currency=currency,
                refund_id=refund_id,
            )
        )
    if now == S.FAILED and was != S.FAILED:
        events.append(_failed(payment))
    return events


def _failed(payment: Payment) -> PaymentFailed:
    return PaymentFailed(
        payment_id=payment.pk,
        reference=payment.reference,
        intent_id=payment.intent_id,
        amount=payment.amount_authorized,
        currency=payment.currency,
        code=payment.failure_code,
        message=payment.failure_message,
    )
