"""Staff resolve a ticket through the published services of the domains that own the order:
cancel it (orders), refund all or part of it (payments), reship items (fulfillment, which
takes the stock from inventory), start a return (orders). Nothing here changes another
domain's data directly, and each owning service checks its own rules under its own locks.

Every attempt is audited on the ticket as a ``TicketAction``: who, what, why, the reference
the owning domain answered with (refund id, return, parcels) and the result. A refusal (the
order's state does not allow it, more than is refundable, no stock) is recorded with its
message and changes nothing else.

A double submit acts once. The staff form carries a key rendered with the page, and the
action row is unique per (ticket, key):

- **cancel, start a return** change only the database. The claim, the owning service's
  change and the outcome commit in one transaction, so a concurrent repeat waits on the
  claim's row and then finds the answer.
- **refund, reship** call out (the payment processor) or take stock in steps, so the claim
  commits first and the owning service is called outside any transaction with a key
  derived from the action (``ticket-<id>-action-<id>``), on which the refund and the reship
  are idempotent. When the processor is unavailable, the action stays ``pending`` and
  :func:`retry_action` repeats the call with the same key: a refund that did happen is
  found, never paid twice. The payments service refuses any refund above what was
  captured minus refunded (and refunds in flight), under the payment's row lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.core.money import Money
from shop.fulfillment import services as fulfillment
from shop.orders import services as orders
from shop.payments import services as payments
from shop.support.models import ActionKind, ActionStatus, Ticket, TicketAction
from shop.support.types import ActionConflict, ActionInfo, ActionPending, InvalidInput, TicketNotFound

REASON_MAX_LENGTH = 500
KEY_MAX_LENGTH = 100
MAX_AMOUNT = Decimal("9999999999.99")
MAX_LINES = 100
CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Outcome:
    status: str
    reference: str = ""
    result: str = ""
    error_code: str = ""


def _refused(code: str, message: str) -> _Outcome:
    return _Outcome(ActionStatus.REFUSED, result=message[:500], error_code=code[:60])


# --- What each action does ------------------------------------------------------------------------


def _actor(action: TicketAction) -> str:
    return f"staff:{action.staff_id}"


def _why(action: TicketAction) -> str:
    return f"support ticket #{action.ticket_id}: {action.reason}"


def _cancel(action: TicketAction, order: orders.OrderInfo) -> _Outcome:
    orders.cancel_order(order.order_id, actor=_actor(action), reason=_why(action))
    return _Outcome(
        ActionStatus.SUCCEEDED,
        reference=f"order {order.number}",
        result="Cancelled: the card's authorization is released and the stock put back.",
    )


def _refund(action: TicketAction, order: orders.OrderInfo) -> _Outcome:
    if action.amount is None or action.amount <= 0:
        return _refused("nothing_to_refund", "Nothing is left to refund: everything captured was refunded already.")
    refund = payments.refund(
        order.payment_reference,
        Money.of(action.amount, action.currency),
        action.idempotency_key,
        reason="requested_by_customer",
    )
    return _Outcome(
        ActionStatus.SUCCEEDED,
        reference=refund.refund_id,
        result=f"Refunded {refund.amount} (refunded so far: {refund.total_refunded}).",
    )


def _reship(action: TicketAction, order: orders.OrderInfo) -> _Outcome:
    parcels = fulfillment.reship(order.order_id, _lines(action), reference=action.idempotency_key, reason=_why(action))
    references = ", ".join(parcel.reference for parcel in parcels)
    return _Outcome(
        ActionStatus.SUCCEEDED,
        reference=references,
        result=f"Replacement parcel(s) {references} sent to the warehouse, free of charge.",
    )


def _start_return(action: TicketAction, order: orders.OrderInfo) -> _Outcome:
    ret = orders.request_return(order.order_id, actor=_actor(action), lines=_lines(action), reason=_why(action))
    return _Outcome(
        ActionStatus.SUCCEEDED,
        reference=f"return {ret.return_id}",
        result=f"Return {ret.return_id} requested: the customer gets a prepaid label, and "
        f"{Money.of(ret.amount, ret.currency)} is refunded when the parcel reaches the warehouse.",
    )


def _lines(action: TicketAction) -> list[tuple[int, int]]:
    return [(int(line_id), int(quantity)) for line_id, quantity in action.request["lines"]]


Perform = Callable[[TicketAction, orders.OrderInfo], _Outcome]
PERFORM: dict[str, Perform] = {
    ActionKind.CANCEL_ORDER: _cancel,
    ActionKind.REFUND: _refund,
    ActionKind.RESHIP: _reship,
    ActionKind.START_RETURN: _start_return,
}
# Database-only actions: claim, change and outcome in one transaction (see the module's docstring).
ATOMIC = frozenset({ActionKind.CANCEL_ORDER, ActionKind.START_RETURN})
NOT_CAPTURED = "Nothing of this order's payment has been captured yet: cancel the order instead (that releases it)."


def _attempt(action: TicketAction, order: orders.OrderInfo) -> _Outcome:
    """Run the action's service; a refusal becomes the outcome. An unavailable processor raises."""
    try:
        return PERFORM[action.kind](action, order)
    except payments.ProcessorUnavailable:
        raise
    except payments.PaymentError as refused:
        return _refused(refused.code, NOT_CAPTURED if refused.code == "not_captured" else refused.message)
    except (orders.InvalidTransition, orders.ReturnRefused, fulfillment.ReshipRefused) as refused:
        return _refused(refused.code, refused.message)
    except orders.OrderNotFound as missing:
        return _refused("order_not_found", str(missing))


# --- Taking an action --------------------------------------------------------------------------------


def take_action(
    ticket_id: int,
    *,
    kind: str,
    staff_id: int,
    staff_name: str,
    reason: str,
    key: str,
    amount: Decimal | str | None = None,
    lines: Sequence[tuple[int, int]] | None = None,
) -> ActionInfo:
    """Act on the ticket's order and audit it. ``amount`` is for a refund (None: everything still
    refundable); ``lines`` ((order line id, quantity)) for a reship or a return. Bad input raises
    :class:`InvalidInput` (nothing stored); the owning domain's refusal is the action's result."""
    kind, reason, key, request = _check(kind, reason, key, amount, lines)
    ticket = Ticket.objects.filter(id=ticket_id).first()
    if ticket is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    if ticket.order_id is None:
        raise InvalidInput("This ticket is not about an order: there is nothing to act on.")
    order = orders.get_order(ticket.order_id)
    if order is None:
        raise InvalidInput(f"Order {ticket.order_number} no longer exists.")
    existing = _existing(ticket.id, key, kind, request)
    if existing is not None:
        return existing
    fields = {
        "ticket": ticket,
        "kind": kind,
        "key": key,
        "staff_id": staff_id,
        "staff_name": (staff_name or f"staff {staff_id}")[:150],
        "reason": reason,
        "order_id": order.order_id,
        "request": request,
        "currency": order.currency,
    }
    try:
        if kind in ATOMIC:
            with transaction.atomic():
                action = TicketAction.objects.create(**fields)
                _complete(action, _attempt(action, order))
            return _action_info(action)
        if kind == ActionKind.REFUND:
            fields["amount"] = _refund_amount(order, request["amount"])
        action = TicketAction.objects.create(**fields)
    except IntegrityError:
        existing = _existing(ticket.id, key, kind, request)  # a concurrent double submit claimed the key
        if existing is None:
            raise
        return existing
    return _perform(action, order)


def retry_action(action_id: int) -> ActionInfo:
    """Repeat a pending action (the processor was unavailable) with its own key: what did happen
    is found and recorded, nothing is done twice."""
    action = TicketAction.objects.filter(id=action_id).first()
    if action is None:
        raise TicketNotFound(f"No action with id {action_id}.")
    if action.status != ActionStatus.PENDING:
        return _action_info(action, replayed=True)
    order = orders.get_order(action.order_id)
    if order is None:
        raise InvalidInput("The order no longer exists.")
    return _perform(action, order)


def _perform(action: TicketAction, order: orders.OrderInfo) -> ActionInfo:
    try:
        outcome = _attempt(action, order)
    except payments.ProcessorUnavailable as unavailable:
        raise ActionPending(
            f"The payment processor is unavailable ({unavailable.message}). The action is recorded as pending: "
            "retry it later; it will not be done twice."
        ) from unavailable
    with transaction.atomic():
        action = TicketAction.objects.select_for_update().get(id=action.id)
        if action.status == ActionStatus.PENDING:
            _complete(action, outcome)
    return _action_info(action)


def _complete(action: TicketAction, outcome: _Outcome) -> None:
    action.status = outcome.status
    action.reference = outcome.reference[:300]
    action.result = outcome.result[:500]
    action.error_code = outcome.error_code
    action.completed_at = timezone.now()
    action.save(update_fields=["status", "reference", "result", "error_code", "completed_at"])


def _existing(ticket_id: int, key: str, kind: str, request: dict[str, Any]) -> ActionInfo | None:
    """The action a double submit of this form already made (its answer, or pending)."""
    action = TicketAction.objects.filter(ticket_id=ticket_id, key=key).first()
    if action is None:
        return None
    if (action.kind, action.request) != (kind, request):
        raise ActionConflict("This form was already used for a different action; reload the page.")
    return _action_info(action, replayed=True)


def _refund_amount(order: orders.OrderInfo, asked: str | None) -> Decimal:
    """The amount asked, or for a full refund what is refundable now (captured minus refunded)."""
    if asked is not None:
        return Decimal(asked)
    try:
        payment = payments.get_payment(order.payment_reference)
    except payments.PaymentNotFound:
        return Decimal(0)
    return max(payment.captured.amount - payment.refunded.amount, Decimal(0))


# --- Input -------------------------------------------------------------------------------------------


def _check(
    kind: object, reason: object, key: object, amount: object, lines: Sequence[tuple[int, int]] | None
) -> tuple[str, str, str, dict[str, Any]]:
    if kind not in ActionKind.values:
        raise InvalidInput(f"Unknown action {kind!r}.", {"kind": ["Unknown action."]})
    reason = reason.replace("\x00", "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("Give a reason: it is kept with the action.", {"reason": ["Give a reason."]})
    if len(reason) > REASON_MAX_LENGTH:
        message = f"At most {REASON_MAX_LENGTH} characters."
        raise InvalidInput(f"The reason is too long. {message}", {"reason": [message]})
    key = key.strip() if isinstance(key, str) else ""
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidInput("The form has expired; reload the page.", {"key": ["Missing or invalid."]})
    request: dict[str, Any] = {"reason": reason, "amount": None, "lines": []}
    if kind == ActionKind.REFUND and amount not in (None, ""):
        request["amount"] = str(_amount(amount))
    if kind in (ActionKind.RESHIP, ActionKind.START_RETURN):
        request["lines"] = _check_lines(lines)
    return str(kind), reason, key, request


def _amount(value: object) -> Decimal:
    message = "Give an amount above zero with at most two decimals (leave it empty to refund everything)."
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(message, {"amount": [message]}) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise InvalidInput(message, {"amount": [message]})
    return amount.quantize(CENT)


def _check_lines(lines: Sequence[tuple[int, int]] | None) -> list[list[int]]:
    message = "Choose at least one item and how many units."
    checked = []
    for line_id, quantity in list(lines or [])[: MAX_LINES + 1]:
        for value in (line_id, quantity):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**18:
                raise InvalidInput(message, {"lines": [message]})
        checked.append([line_id, quantity])
    if not checked or len(checked) > MAX_LINES:
        raise InvalidInput(message, {"lines": [message]})
    return checked


# --- Reads ---------------------------------------------------------------------------------------------


def actions_of(ticket_id: int) -> list[ActionInfo]:
    rows = TicketAction.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")[:200]
    return [_action_info(action) for action in rows]


def _action_info(action: TicketAction, *, replayed: bool = False) -> ActionInfo:
    return ActionInfo(
        action_id=action.id,
        ticket_id=action.ticket_id,
        kind=action.kind,
        kind_label=ActionKind(action.kind).label,
        staff_id=action.staff_id,
        staff_name=action.staff_name,
        reason=action.reason,
        order_id=action.order_id,
        status=action.status,
        status_label=ActionStatus(action.status).label,
        reference=action.reference,
        result=action.result,
        error_code=action.error_code,
        amount=action.amount,
        currency=action.currency,
        created_at=action.created_at,
        completed_at=action.completed_at,
        replayed=replayed,
    )
