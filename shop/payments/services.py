"""The payments domain's published interface: authorize, capture, void, refund, read.

Every call is idempotent on its key: the reference for ``authorize`` and ``void``, the
caller's ``capture_key`` / ``refund_key`` for ``capture`` / ``refund``. Repeating a call
returns the first call's result without charging again; repeating a key with different
arguments raises :class:`PaymentConflict` (as Stripe answers ``idempotency_error``).

Crash safety: each processor call is first committed as a pending ``PaymentOperation``
holding the exact request and its Stripe idempotency key, then sent, then its outcome is
recorded. If the process dies after the processor acted but before the outcome was
recorded, the next call touching the payment (any of these services, or ``refresh_payment``)
replays the pending operation with the same key; Stripe answers with the original result
(the same intent, the same refund), which is then recorded. See docs/payments.md.

Declines are results, not exceptions: :func:`authorize` returns ``declined`` with a code
and a message fit for the customer, so a caller (the checkout saga) can compensate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shop.core.money import Money, minor_units
from shop.payments import processor
from shop.payments.declines import customer_message
from shop.payments.models import (
    OperationKind,
    OperationState,
    Payment,
    PaymentOperation,
    PaymentStatus,
    PaymentStatusChange,
)
from shop.payments.recording import CAPTURED_STATES, NOT_YET_AUTHORIZED, apply_snapshot, fail_without_intent

log = logging.getLogger(__name__)

S = PaymentStatus
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
PAYMENT_METHOD_TOKEN = re.compile(r"^pm_[A-Za-z0-9_]{3,250}$")
# Field names that can only mean raw card data; "number" counts only inside a "card" object,
# where it cannot be a house or phone number. ("pan" is left out: in India it is the tax id.)
CARD_FIELDS = {"card_number", "cardnumber", "cc_number", "ccnumber", "cvc", "cvv", "cvc2", "cvv2"}
HISTORY_LIMIT = 100


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChangeInfo:
    from_status: str
    to_status: str
    source: str
    at: datetime


@dataclass(frozen=True)
class PaymentInfo:
    payment_id: int
    reference: str
    intent_id: str | None
    status: str
    authorized: Money
    captured: Money
    capturable: Money
    refunded: Money
    card_brand: str
    card_last4: str
    multicapture: bool
    failure_code: str
    failure_message: str
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChangeInfo, ...] = ()


@dataclass(frozen=True)
class AuthorizationResult:
    """``status`` is the payment's status after the call (``authorized``, ``requires_action``,
    ``failed``, or a later one on a repeated call); ``code`` and ``message`` explain a decline,
    the message in words for the customer."""

    reference: str
    status: str
    amount: Money
    intent_id: str | None
    code: str = ""
    message: str = ""
    next_action_url: str = ""  # 3D Secure: send the customer here; the webhook records the outcome
    client_secret: str = ""  # 3D Secure with Stripe.js: stripe.handleNextAction({clientSecret})

    @property
    def approved(self) -> bool:
        """The card was authorized (the payment may since have been captured or voided)."""
        return self.status not in (S.PENDING, S.REQUIRES_ACTION, S.FAILED)

    @property
    def declined(self) -> bool:
        return self.status == S.FAILED

    @property
    def requires_action(self) -> bool:
        return self.status == S.REQUIRES_ACTION


@dataclass(frozen=True)
class CaptureResult:
    reference: str
    amount: Money  # this capture
    total_captured: Money
    capturable: Money  # still held for later captures (0 once final)
    final: bool
    status: str


@dataclass(frozen=True)
class VoidResult:
    """``released`` is False when there was nothing to release (never authorized, declined,
    already voided, or no payment under that reference at all: ``status`` is then None)."""

    reference: str
    status: str | None
    released: bool


@dataclass(frozen=True)
class RefundResult:
    reference: str
    refund_id: str
    amount: Money
    total_refunded: Money
    status: str


# --- Errors --------------------------------------------------------------------------------


class PaymentError(Exception):
    """A payment call that cannot be done as asked; ``code`` is stable, ``message`` for people."""

    code = "payment_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code


class PaymentNotFound(PaymentError):
    code = "payment_not_found"


class PaymentConflict(PaymentError):
    """The key was used before with different arguments."""

    code = "idempotency_conflict"


class InvalidPaymentState(PaymentError):
    """Not possible in the payment's state (capture a voided payment, void a captured one, ...)."""

    code = "invalid_state"


class ProcessorUnavailable(PaymentError):
    """The processor could not be reached; retry the same call later (nothing is lost or doubled)."""

    code = "processor_unavailable"


class CardDataRejected(PaymentError):
    """A request carried raw card data, which must go to the processor only."""

    code = "card_data_rejected"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# --- Card data never reaches us ------------------------------------------------------------


def payment_method_token(value: object, field: str = "payment_method") -> str:
    """The processor's payment-method token (``pm_...``), or :class:`CardDataRejected`."""
    if not isinstance(value, str) or not PAYMENT_METHOD_TOKEN.match(value):
        digits = re.sub(r"[\s-]", "", str(value)) if isinstance(value, (str, int)) else ""
        if digits.isdigit() and len(digits) >= 12:
            raise CardDataRejected(
                "Send the card to the payment processor and pass the pm_... token it returns, never the card number.",
                field,
            )
        raise CardDataRejected("Expected a payment method token from the payment processor (pm_...).", field)
    return value


def reject_card_data(data: Any, path: str = "") -> None:
    """Raise :class:`CardDataRejected` if a request body carries card fields anywhere."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            name = str(key).lower()
            field = f"{path}.{key}" if path else str(key)
            bare = name.replace("[", ".").replace("]", "").split(".")
            if name in CARD_FIELDS or bare[-1] in CARD_FIELDS or bare[-2:] == ["card", "number"]:
                raise CardDataRejected(
                    "Card details must go to the payment processor only; send its payment method token (pm_...).",
                    field,
                )
            if name == "card" and isinstance(value, Mapping) and "number" in value:
                raise CardDataRejected(
                    "Card details must go to the payment processor only; send its payment method token (pm_...).",
                    f"{field}.number",
                )
            reject_card_data(value, field)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            reject_card_data(item, f"{path}.{index}" if path else str(index))


# --- Reads ---------------------------------------------------------------------------------


def get_payment(reference: str) -> PaymentInfo:
    payment = Payment.objects.filter(reference=reference).first()
    if payment is None:
        raise PaymentNotFound(f"No payment with reference {reference!r}.")
    history = PaymentStatusChange.objects.filter(payment=payment).order_by("-id")[:HISTORY_LIMIT]
    return _info(payment, tuple(reversed([_change(change) for change in history])))


def refresh_payment(reference: str) -> PaymentInfo:
    """Finish any interrupted call and re-read the processor's view (e.g. after 3D Secure)."""
    _resume_pending(reference)
    payment = Payment.objects.filter(reference=reference).first()
    if payment is None:
        raise PaymentNotFound(f"No payment with reference {reference!r}.")
    if payment.intent_id:
        try:
            intent = processor.retrieve_intent(payment.intent_id)
        except (processor.Unavailable, processor.Refused) as error:
            raise ProcessorUnavailable(str(error)) from error
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            apply_snapshot(locked, source="refresh", intent=intent)
    return get_payment(reference)


# --- Authorize -----------------------------------------------------------------------------


def authorize(
    reference: str,
    amount: Money,
    payment_method: str,
    customer_email: str | None = None,
    *,
    description: str = "",
    return_url: str | None = None,
) -> AuthorizationResult:
    """Hold ``amount`` on the card (manual capture). One authorization per reference, ever:
    a repeat returns the same result; a declined reference stays declined (retry with a new
    reference, e.g. ``checkout-<saga>-2``). ``return_url`` is where 3D Secure sends the
    customer back. Raises :class:`ProcessorUnavailable` (retry) or :class:`PaymentConflict`."""
    _check_reference(reference)
    minor = _minor(amount)
    token = payment_method_token(payment_method)
    params: dict[str, Any] = {
        "amount": minor,
        "currency": amount.currency.lower(),
        "capture_method": "manual",
        "confirm": True,
        "payment_method": token,
        "payment_method_types": ["card"],
        "metadata": {"reference": reference, "namespace": settings.PAYMENTS_IDEMPOTENCY_PREFIX},
        "expand": ["latest_charge"],
    }
    if settings.PAYMENTS_REQUEST_MULTICAPTURE:
        params["payment_method_options"] = {"card": {"request_multicapture": "if_available"}}
    if description:
        params["description"] = description[:1000]
    if customer_email:
        params["receipt_email"] = customer_email
    if return_url:
        params["return_url"] = return_url
    key = _key(reference, "authorize")
    with transaction.atomic():
        payment, created = Payment.objects.select_for_update().get_or_create(
            reference=reference,
            defaults={
                "currency": amount.currency,
                "amount_authorized": amount.amount,
                "payment_method": token,
                "customer_email": customer_email or "",
            },
        )
        if created:
            PaymentStatusChange.objects.create(payment=payment, to_status=S.PENDING, source=f"authorize:{key}")
        _start(payment, OperationKind.AUTHORIZE, key, amount.amount, {"params": params})
    _resume_pending(reference)
    payment = Payment.objects.get(pk=payment.pk)
    return AuthorizationResult(
        reference=reference,
        status=payment.status,
        amount=Money.of(payment.amount_authorized, payment.currency),
        intent_id=payment.intent_id,
        code=payment.failure_code if payment.status == S.FAILED else "",
        message=customer_message(payment.failure_code) if payment.status == S.FAILED else "",
        next_action_url=payment.next_action_url,
        client_secret=payment.client_secret,
    )


# --- Capture -------------------------------------------------------------------------------


def capture(reference: str, amount: Money, capture_key: str, *, final: bool = False) -> CaptureResult:
    """Charge ``amount`` of the authorization (e.g. one shipment's share), once per ``capture_key``.

    ``final=True`` (or capturing everything still held) ends the payment: the rest of the
    authorization is released. A non-final capture needs multicapture (``PaymentInfo.multicapture``);
    without it, capture the whole remainder at once with ``final=True``.
    """
    _check_reference(capture_key)
    minor = _minor(amount)
    _resume_pending(reference)
    key = _key(reference, "capture", capture_key)
    with transaction.atomic():
        payment = _lock(reference)
        op = PaymentOperation.objects.filter(idempotency_key=key).first()
        if op is None:
            _same_currency(payment, amount)
            if payment.status not in (S.AUTHORIZED, S.PARTIALLY_CAPTURED):
                raise InvalidPaymentState(
                    f"Payment {reference} is {payment.status}; only an authorized payment can be captured.",
                    "not_capturable",
                )
            in_flight = _pending_amount(payment, OperationKind.CAPTURE)
            available = payment.amount_capturable - in_flight
            if amount.amount > available:
                raise PaymentError(
                    f"Cannot capture {amount}: only {Money.of(available, payment.currency)} is still authorized.",
                    "amount_too_large",
                )
            is_final = final or (amount.amount == payment.amount_capturable and not in_flight)
            if not is_final and not payment.multicapture:
                raise InvalidPaymentState(
                    "This card does not allow several captures: capture the whole remaining amount with final=True.",
                    "multicapture_unavailable",
                )
            params = {
                "amount_to_capture": minor,
                "final_capture": is_final,
                "metadata": {"capture_key": capture_key},
                "expand": ["latest_charge"],
            }
            request = {"intent": payment.intent_id, "params": params, "final": final}
            op = _start(payment, OperationKind.CAPTURE, key, amount.amount, request)
        elif (op.kind, op.amount, op.request.get("final")) != (OperationKind.CAPTURE, amount.amount, final):
            raise PaymentConflict(f"Capture key {capture_key!r} was used for a different capture.")
    op = _perform(op.pk)
    if op.state != OperationState.SUCCEEDED:
        raise InvalidPaymentState(op.error_message or "The capture failed.", op.error_code or "capture_failed")
    payment = Payment.objects.get(pk=op.payment_id)
    return CaptureResult(
        reference=reference,
        amount=Money.of(op.amount or 0, payment.currency),
        total_captured=Money.of(payment.amount_captured, payment.currency),
        capturable=Money.of(payment.amount_capturable, payment.currency),
        final=payment.status in CAPTURED_STATES,
        status=payment.status,
    )


# --- Void ----------------------------------------------------------------------------------


def void(reference: str) -> VoidResult:
    """Release the authorization (the saga's compensation). A no-op for a reference that was
    never authorized, was declined or is voided already; after partial captures it releases
    the uncaptured rest. A fully captured payment is refunded, not voided."""
    if not Payment.objects.filter(reference=reference).exists():
        return VoidResult(reference=reference, status=None, released=False)
    # An authorization whose result was never recorded is replayed first, so it can be voided.
    _resume_pending(reference)
    key = _key(reference, "void")
    with transaction.atomic():
        payment = _lock(reference)
        op = PaymentOperation.objects.filter(idempotency_key=key).first()
        if op is None:
            if payment.status in (S.PENDING, S.FAILED, S.VOIDED):
                return VoidResult(reference=reference, status=payment.status, released=False)
            if payment.status in CAPTURED_STATES:
                raise InvalidPaymentState(
                    f"Payment {reference} is captured; refund it instead of voiding.", "already_captured"
                )
            params = {"cancellation_reason": "abandoned", "expand": ["latest_charge"]}
            op = _start(payment, OperationKind.VOID, key, None, {"intent": payment.intent_id, "params": params})
    op = _perform(op.pk)
    if op.state != OperationState.SUCCEEDED:
        raise InvalidPaymentState(op.error_message or "The void failed.", op.error_code or "void_failed")
    payment = Payment.objects.get(pk=op.payment_id)
    return VoidResult(reference=reference, status=payment.status, released=True)


# --- Refund --------------------------------------------------------------------------------


def refund(reference: str, amount: Money, refund_key: str, *, reason: str | None = None) -> RefundResult:
    """Give back ``amount`` of what was captured, once per ``refund_key`` (e.g. ``return-<id>``).
    ``reason``: Stripe's ``duplicate``, ``fraudulent`` or ``requested_by_customer``."""
    _check_reference(refund_key)
    minor = _minor(amount)
    _resume_pending(reference)
    key = _key(reference, "refund", refund_key)
    with transaction.atomic():
        payment = _lock(reference)
        op = PaymentOperation.objects.filter(idempotency_key=key).first()
        if op is None:
            _same_currency(payment, amount)
            if payment.amount_captured <= 0:
                raise InvalidPaymentState(
                    f"Nothing of payment {reference} has been captured; void it instead.", "not_captured"
                )
            refundable = payment.amount_captured - payment.amount_refunded
            refundable -= _pending_amount(payment, OperationKind.REFUND)
            if amount.amount > refundable:
                raise PaymentError(
                    f"Cannot refund {amount}: only {Money.of(refundable, payment.currency)} is refundable.",
                    "amount_too_large",
                )
            params: dict[str, Any] = {
                "payment_intent": payment.intent_id,
                "amount": minor,
                "metadata": {"reference": reference, "refund_key": refund_key},
            }
            if reason:
                params["reason"] = reason
            op = _start(payment, OperationKind.REFUND, key, amount.amount, {"params": params})
        elif (op.kind, op.amount) != (OperationKind.REFUND, amount.amount):
            raise PaymentConflict(f"Refund key {refund_key!r} was used for a different refund.")
    op = _perform(op.pk)
    if op.state != OperationState.SUCCEEDED:
        raise InvalidPaymentState(op.error_message or "The refund failed.", op.error_code or "refund_failed")
    payment = Payment.objects.get(pk=op.payment_id)
    return RefundResult(
        reference=reference,
        refund_id=op.processor_id,
        amount=Money.of(op.amount or 0, payment.currency),
        total_refunded=Money.of(payment.amount_refunded, payment.currency),
        status=payment.status,
    )


# --- The operation engine ------------------------------------------------------------------


@dataclass
class _Outcome:
    intent: dict[str, Any] | None = None
    processor_id: str = ""
    failure_code: str = ""
    failure_message: str = ""


def _start(payment: Payment, kind: str, key: str, amount: Decimal | None, request: dict[str, Any]) -> PaymentOperation:
    """The operation for ``key``: created pending (committed with the caller's transaction), or
    the existing one if it is the same request."""
    op, created = PaymentOperation.objects.get_or_create(
        idempotency_key=key, defaults={"payment": payment, "kind": kind, "amount": amount, "request": request}
    )
    if not created and (op.payment_id, op.kind, op.amount, op.request) != (payment.pk, kind, amount, request):
        raise PaymentConflict(f"{kind.capitalize()} for {payment.reference} was already requested with other details.")
    return op


def _resume_pending(reference: str) -> None:
    """Send (again) every operation of the payment left pending, oldest first."""
    pending = PaymentOperation.objects.filter(payment__reference=reference, state=OperationState.PENDING)
    for op_id in pending.order_by("id").values_list("id", flat=True):
        _perform(op_id)


def _perform(op_id: int) -> PaymentOperation:
    """Complete a pending operation: send it with its key, record the outcome once."""
    op = PaymentOperation.objects.get(pk=op_id)
    if op.state != OperationState.PENDING:
        return op
    if timezone.now() - op.created_at > timedelta(hours=settings.PAYMENTS_REPLAY_WINDOW_HOURS):
        return _abandon(op_id)
    return _record(op_id, _send(op))


def _send(op: PaymentOperation) -> _Outcome:
    try:
        result = processor.send(op.kind, op.request, op.idempotency_key)
    except processor.Declined as declined:
        return _Outcome(intent=declined.intent, failure_code=declined.code, failure_message=declined.message)
    except processor.Refused as refused:
        return _Outcome(failure_code=refused.code, failure_message=refused.message)
    except processor.KeyReused as reused:
        log.error("idempotency key %s was reused with other parameters: %s", op.idempotency_key, reused)
        return _Outcome(failure_code="idempotency_key_reused", failure_message=str(reused))
    except processor.Unavailable as unavailable:
        raise ProcessorUnavailable(f"The payment processor is unavailable: {unavailable}") from unavailable
    if op.kind != OperationKind.REFUND:
        return _Outcome(intent=result, processor_id=result["id"])
    try:  # a refund answers with the refund; the charge totals come with the intent
        intent = processor.retrieve_intent(result["payment_intent"])
    except (processor.Unavailable, processor.Refused) as error:
        raise ProcessorUnavailable(f"The payment processor is unavailable: {error}") from error
    return _Outcome(intent=intent, processor_id=result["id"])


def _record(op_id: int, outcome: _Outcome) -> PaymentOperation:
    with transaction.atomic():
        op = PaymentOperation.objects.get(pk=op_id)
        payment = Payment.objects.select_for_update().get(pk=op.payment_id)  # payment first: one lock order
        op = PaymentOperation.objects.select_for_update().get(pk=op_id)
        if op.state != OperationState.PENDING:
            return op  # a concurrent retry recorded it
        source = f"{op.kind}:{op.idempotency_key}"
        if outcome.intent is not None:
            refund_id = outcome.processor_id if op.kind == OperationKind.REFUND else ""
            apply_snapshot(payment, source=source, intent=outcome.intent, refund_id=refund_id)
        if outcome.failure_code and op.kind == OperationKind.AUTHORIZE and payment.status in NOT_YET_AUTHORIZED:
            code = "invalid_payment_method" if outcome.intent is None else outcome.failure_code
            fail_without_intent(payment, source=source, code=code, message=outcome.failure_message)
        op.state = OperationState.FAILED if outcome.failure_code else OperationState.SUCCEEDED
        op.error_code = outcome.failure_code[:60]
        op.error_message = outcome.failure_message[:500]
        op.processor_id = outcome.processor_id
        op.completed_at = timezone.now()
        op.save()
    return op


def _abandon(op_id: int) -> PaymentOperation:
    """Too old to replay: the processor no longer remembers the key, so a replay could act twice.

    Instead, look at what the processor has (the intent our authorize may have created is
    found by the reference in its metadata) and record that; the operation is closed as
    ``abandoned``. An authorize that never reached the processor ends as a failed payment.
    """
    op = PaymentOperation.objects.select_related("payment").get(pk=op_id)
    payment = op.payment
    try:
        if op.kind == OperationKind.AUTHORIZE:
            found = processor.find_intents(
                {"reference": payment.reference, "namespace": settings.PAYMENTS_IDEMPOTENCY_PREFIX}
            )
            intent = found[0] if found else None
        else:
            intent = processor.retrieve_intent(payment.intent_id) if payment.intent_id else None
    except (processor.Unavailable, processor.Refused) as error:
        raise ProcessorUnavailable(f"The payment processor is unavailable: {error}") from error
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        op = PaymentOperation.objects.select_for_update().get(pk=op_id)
        if op.state != OperationState.PENDING:
            return op
        log.error("payment operation %s is older than the replay window: reconciled, not replayed", op.idempotency_key)
        source = f"reconcile:{op.idempotency_key}"
        if intent is not None:
            apply_snapshot(payment, source=source, intent=intent)
        if op.kind == OperationKind.AUTHORIZE and payment.status in NOT_YET_AUTHORIZED:
            fail_without_intent(
                payment,
                source=source,
                code="processor_state_unknown",
                message="The processor has no authorization for this payment.",
            )
        op.state = OperationState.ABANDONED
        op.error_code = "replay_window_passed"
        op.completed_at = timezone.now()
        op.save()
    return op


# --- Helpers -------------------------------------------------------------------------------


def _key(reference: str, *parts: str) -> str:
    return ":".join([settings.PAYMENTS_IDEMPOTENCY_PREFIX, reference, *parts])


def _check_reference(value: str) -> None:
    if not isinstance(value, str) or not REFERENCE.match(value):
        raise ValueError(f"invalid reference or key {value!r}: 1-100 of letters, digits and _.:-")


def _minor(amount: Money) -> int:
    if not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if minor_units(amount.currency) > 2:
        raise ValueError(f"{amount.currency} has more than two decimals; payments store two")
    if amount.amount != amount.quantized().amount or amount.amount <= 0:
        raise ValueError(f"invalid payment amount {amount}")
    return amount.to_minor()


def _same_currency(payment: Payment, amount: Money) -> None:
    if amount.currency != payment.currency:
        raise PaymentError(f"Payment {payment.reference} is in {payment.currency}, not {amount.currency}.", "currency")


def _lock(reference: str) -> Payment:
    payment = Payment.objects.select_for_update().filter(reference=reference).first()
    if payment is None:
        raise PaymentNotFound(f"No payment with reference {reference!r}.")
    return payment


def _pending_amount(payment: Payment, kind: str) -> Decimal:
    pending = PaymentOperation.objects.filter(payment=payment, kind=kind, state=OperationState.PENDING)
    return pending.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _change(change: PaymentStatusChange) -> StatusChangeInfo:
    return StatusChangeInfo(
        from_status=change.from_status, to_status=change.to_status, source=change.source, at=change.at
    )


def _info(payment: Payment, history: tuple[StatusChangeInfo, ...] = ()) -> PaymentInfo:
    def money(value: Decimal) -> Money:
        return Money.of(value, payment.currency)

    return PaymentInfo(
        payment_id=payment.pk,
        reference=payment.reference,
        intent_id=payment.intent_id,
        status=payment.status,
        authorized=money(payment.amount_authorized),
        captured=money(payment.amount_captured),
        capturable=money(payment.amount_capturable),
        refunded=money(payment.amount_refunded),
        card_brand=payment.card_brand,
        card_last4=payment.card_last4,
        multicapture=payment.multicapture,
        failure_code=payment.failure_code,
        failure_message=payment.failure_message,
        created_at=payment.created_at,
        updated_at=payment.updated_at,
        history=history,
    )
