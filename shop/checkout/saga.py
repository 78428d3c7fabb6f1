"""A small saga engine: steps declared once with their compensation, state in Postgres.

A saga is a list of ``step(name, invoke, compensate)``. ``advance`` claims the
saga with a lease (a worker owns it until the lease runs out, so a crashed
worker's saga is picked up by another), runs the next step, and records the
result together with the step counter in one transaction. A step that fails
for a business reason (``StepFailed``: card declined, out of stock) turns the
saga around: compensations run from that step back to the first. A step that
errors (network, crash) is retried; after ``max_attempts`` it is treated as a
business failure. Every invoke and compensation must be idempotent: after a
crash, the step that was running is run again.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shop.checkout.models import Checkout, CheckoutState, CheckoutStepLog

log = logging.getLogger(__name__)

# A test hook to prove crash safety: "kill-after:<step>" makes the worker process die
# (no cleanup, like kill -9) right after that step's action and before its result is
# recorded, the worst moment. Never set in production.
FAULT_ENV = "SHOP_SAGA_FAULT"


class StepFailed(Exception):
    """A business failure: the saga cannot go on and must compensate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Updates = dict[str, Any]


@dataclass(frozen=True)
class Step:
    name: str
    invoke: Callable[[Checkout], Updates | None]
    compensate: Callable[[Checkout], None] | None = None


def step(
    name: str, invoke: Callable[[Checkout], Updates | None], compensate: Callable[[Checkout], None] | None = None
) -> Step:
    """Declare a saga step: ``invoke`` may return fields to save on the checkout with its success."""
    return Step(name, invoke, compensate)


class LeaseLost(Exception):
    """Another worker took the saga over (our lease ran out); stop touching it."""


@dataclass
class Claim:
    checkout: Checkout
    token: uuid.UUID


def _claim(checkout_id: uuid.UUID | str, lease: timedelta) -> Claim | None:
    """Take the saga for ``lease`` unless it is finished or another worker holds it."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        Checkout.objects.filter(
            id=checkout_id, state__in=[CheckoutState.PENDING, CheckoutState.RUNNING, CheckoutState.COMPENSATING]
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease, lease_token=token)
    )
    if not claimed:
        return None
    return Claim(Checkout.objects.get(id=checkout_id), token)


def _save(claim: Claim, **fields: Any) -> None:
    """Write saga fields only while we still hold the lease."""
    fields["updated_at"] = timezone.now()
    updated = Checkout.objects.filter(id=claim.checkout.id, lease_token=claim.token).update(**fields)
    if not updated:
        raise LeaseLost(str(claim.checkout.id))
    for name, value in fields.items():
        setattr(claim.checkout, name, value)


def _journal(checkout: Checkout, step_name: str, action: str, outcome: str, detail: str, started_at: Any) -> None:
    CheckoutStepLog.objects.create(
        checkout=checkout,
        step=step_name,
        action=action,
        outcome=outcome,
        detail=detail[:2000],
        started_at=started_at,
        finished_at=timezone.now(),
    )


def _maybe_crash(moment: str, step_name: str) -> None:
    if os.environ.get(FAULT_ENV) == f"{moment}:{step_name}":
        log.error("fault injection: killing the worker %s %s", moment, step_name)
        os._exit(137)


def advance(checkout_id: uuid.UUID | str, steps: Sequence[Step], *, lease: timedelta, max_attempts: int) -> str | None:
    """Drive the saga as far as it goes now; returns its state, or None if another worker owns it.

    Raises the step's exception on a retryable error so the caller (a Celery task)
    retries with backoff; the lease is given back first.
    """
    claim = _claim(checkout_id, lease)
    if claim is None:
        return None
    checkout = claim.checkout
    try:
        while not checkout.is_terminal:
            expired = timezone.now() > checkout.deadline and checkout.step_index < len(steps)
            if checkout.state != CheckoutState.COMPENSATING and expired:
                _turn_around(claim, checkout.step_index, "expired", "The checkout took too long and was cancelled.")
            if checkout.state == CheckoutState.COMPENSATING:
                _compensate_one(claim, steps)
            else:
                _invoke_one(claim, steps, max_attempts)
            _save(claim, lease_until=timezone.now() + lease)  # renew between steps
        return checkout.state
    except LeaseLost:
        log.warning("lost the lease on checkout %s; another worker continues it", checkout_id)
        return None
    finally:
        Checkout.objects.filter(id=checkout.id, lease_token=claim.token).update(lease_until=None)


def _invoke_one(claim: Claim, steps: Sequence[Step], max_attempts: int) -> None:
    checkout = claim.checkout
    if checkout.step_index >= len(steps):
        _save(claim, state=CheckoutState.COMPLETED)
        return
    current = steps[checkout.step_index]
    if checkout.state == CheckoutState.PENDING:
        _save(claim, state=CheckoutState.RUNNING)
    started_at = timezone.now()
    try:
        updates = current.invoke(checkout) or {}
    except StepFailed as failure:
        _journal(checkout, current.name, "invoke", "failed", f"{failure.code}: {failure.message}", started_at)
        _turn_around(claim, checkout.step_index, failure.code, failure.message)
        return
    except Exception as exc:
        _journal(checkout, current.name, "invoke", "error", repr(exc), started_at)
        attempts = checkout.attempts + 1
        if attempts >= max_attempts:
            log.exception("checkout %s: step %s kept failing; compensating", checkout.id, current.name)
            _turn_around(
                claim,
                checkout.step_index,
                "temporary_failure",
                "We could not complete your order; you have not been charged.",
            )
            return
        _save(claim, attempts=attempts)
        raise
    _maybe_crash("kill-after", current.name)
    with transaction.atomic():
        _save(claim, step_index=checkout.step_index + 1, attempts=0, **updates)
        _journal(checkout, current.name, "invoke", "succeeded", "", started_at)


def _turn_around(claim: Claim, from_index: int, code: str, message: str) -> None:
    """Switch to compensation, starting with the step that failed (its compensation is a no-op if it did nothing)."""
    _save(
        claim,
        state=CheckoutState.COMPENSATING,
        step_index=from_index,
        attempts=0,
        failure_code=code,
        failure_message=message[:500],
    )


def _compensate_one(claim: Claim, steps: Sequence[Step]) -> None:
    checkout = claim.checkout
    index = min(checkout.step_index, len(steps) - 1)
    current = steps[index]
    started_at = timezone.now()
    if current.compensate is not None:
        try:
            current.compensate(checkout)
        except Exception as exc:
            _journal(checkout, current.name, "compensate", "error", repr(exc), started_at)
            _save(claim, attempts=checkout.attempts + 1)
            raise
        _maybe_crash("kill-after-compensate", current.name)
    with transaction.atomic():
        if index == 0:
            _save(claim, state=CheckoutState.FAILED, step_index=0, attempts=0)
        else:
            _save(claim, step_index=index - 1, attempts=0)
        if current.compensate is not None:
            _journal(checkout, current.name, "compensate", "succeeded", "", started_at)


def stuck_sagas(limit: int = 200) -> list[uuid.UUID]:
    """Unfinished sagas nobody holds: their worker died, or their retry was lost."""
    now = timezone.now()
    return list(
        Checkout.objects.filter(state__in=[CheckoutState.PENDING, CheckoutState.RUNNING, CheckoutState.COMPENSATING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(updated_at__lt=now - timedelta(seconds=5))
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )
