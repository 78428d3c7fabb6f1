"""The refund saga of a received return, on the shared engine (``shop.core.saga``).

Steps, each idempotent on the return's id:

1. ``start``: check the return is received and its order ``returned``. Compensation
   (reached when a later step fails for good): the return becomes ``refund_failed``
   and staff are alerted (admin alert, log, email); the order stays ``returned``.
2. ``refund``: ``payments.refund(reference, amount, "return-<id>")``. The key makes a
   repeat (a crash, a retry, a second worker) return the first refund instead of
   paying twice; the payments service also refuses more than was captured. A refusal
   (nothing captured, more than is refundable, the processor says no) is a business
   failure and compensates; "processor unavailable" is retried, with the same key, for
   as long as it takes. This is the point of no return: money has left.
3. ``restock``: the units go back on hand (``stock.restock("return-<id>", ...)``).
   Retried until done; a refusal by inventory alerts staff to restock by hand instead
   of undoing a refund.
4. ``close``: the return is ``refunded``, the order ``refunded``, ``ReturnRefunded``
   published (the refund email). Retried until done.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.core import saga
from shop.core.events import publish
from shop.core.money import Money
from shop.core.saga import StepFailed, step
from shop.notifications import services as notifications
from shop.orders import stock
from shop.orders.events import ReturnRefunded
from shop.orders.models import Order, OrderStatus, Refund, Return, ReturnStatus
from shop.orders.transitions import SYSTEM, lock, move
from shop.payments import services as payments

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


def refund_key(return_id: int) -> str:
    return f"return-{return_id}"


def _start(refund: Refund) -> None:
    ret = Return.objects.select_related("order").get(id=refund.ret_id)
    if ret.status not in (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED):
        raise StepFailed("return_not_received", f"Return {ret.id} is {ret.get_status_display().lower()}.")


def _give_up(refund: Refund) -> None:
    with transaction.atomic():
        ret = Return.objects.select_for_update().select_related("order").get(id=refund.ret_id)
        if ret.status != ReturnStatus.RECEIVED:
            return
        ret.status = ReturnStatus.REFUND_FAILED
        ret.save(update_fields=["status"])
        refund.refresh_from_db(fields=["failure_code", "failure_message"])
        notifications.alert_staff(
            "refund_failed",
            f"Refund of return {ret.id} (order {ret.order.number}) failed",
            f"The refund of {Money.of(ret.amount, ret.currency)} could not be made: "
            f"{refund.failure_code}: {refund.failure_message}. The units were not restocked by the saga. "
            "Retry the refund from the return's admin page, or refund by hand in the processor's dashboard.",
            reference=f"return-{ret.id}",
        )


def _refund(refund: Refund) -> dict[str, str]:
    ret = Return.objects.select_related("order").get(id=refund.ret_id)
    try:
        result = payments.refund(
            ret.order.payment_reference,
            Money.of(refund.amount, refund.currency),
            refund_key(ret.id),
            reason="requested_by_customer",
        )
    except payments.ProcessorUnavailable:
        raise  # retried with the same key: replayed, never doubled
    except payments.PaymentError as error:
        raise StepFailed(error.code, error.message) from error
    return {"refund_id": result.refund_id}


def _restock(refund: Refund) -> None:
    ret = Return.objects.select_related("order").prefetch_related("lines__line").get(id=refund.ret_id)
    lines = [(x.line.sku_id, x.line.warehouse_id, x.quantity) for x in ret.lines.all()]
    try:
        stock.restock(refund_key(ret.id), lines, f"return {ret.id} of order {ret.order.number}")
    except stock.InventoryError as error:
        log.error("return %s: restock refused (%s); staff alerted", ret.id, error)
        notifications.alert_staff(
            "restock_failed",
            f"Restock of return {ret.id} (order {ret.order.number}) refused",
            f"Inventory refused to restock the returned units: {error}. The customer was refunded; "
            "put the units back on hand by hand.",
            reference=f"return-{ret.id}",
        )


def _close(refund: Refund) -> None:
    with transaction.atomic():
        order_id = Return.objects.filter(id=refund.ret_id).values_list("order_id", flat=True).get()
        order: Order = lock(order_id)
        ret = Return.objects.select_for_update().get(id=refund.ret_id)
        if ret.status == ReturnStatus.REFUNDED:
            return
        ret.status = ReturnStatus.REFUNDED
        ret.closed_at = timezone.now()
        ret.save(update_fields=["status", "closed_at"])
        if order.status == OrderStatus.RETURNED:
            move(order, OrderStatus.REFUNDED, SYSTEM, f"return {ret.id} refunded")
        refund.refresh_from_db(fields=["refund_id"])
        publish(
            ReturnRefunded(
                return_id=ret.id,
                order_id=order.id,
                order_number=order.number,
                email=order.email,
                amount=refund.amount,
                currency=refund.currency,
                refund_id=refund.refund_id,
            )
        )


STEPS = (
    step("start", _start, _give_up),
    step("refund", _refund, retry_until_done=True),
    step("restock", _restock, retry_until_done=True),
    step("close", _close, retry_until_done=True),
)


def advance(refund_id: int) -> str | None:
    """Drive the refund as far as it goes now (a Celery task calls it and retries on errors)."""
    return saga.advance(
        Refund,
        refund_id,
        STEPS,
        lease=LEASE,
        max_attempts=settings.ORDERS_REFUND_MAX_ATTEMPTS,
        give_up_message="The refund could not be made; staff have been alerted.",
    )


def retry(refund_id: int) -> bool:
    """Staff run a failed refund saga again from the start. Safe: the refund step reuses its
    idempotency key, so a refund that did happen is found, not repeated."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("ret").get(id=refund_id)
        if refund.state != saga.SagaState.FAILED:
            return False
        Return.objects.filter(id=refund.ret_id, status=ReturnStatus.REFUND_FAILED).update(status=ReturnStatus.RECEIVED)
        refund.state, refund.step_index, refund.attempts = saga.SagaState.PENDING, 0, 0
        refund.failure_code = refund.failure_message = ""
        refund.save(update_fields=["state", "step_index", "attempts", "failure_code", "failure_message", "updated_at"])
    return True
