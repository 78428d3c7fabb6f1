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

With a ``backoff``, a step that errors keeps the lease until its retry is due and
``advance`` raises :class:`RetryLater`: the backoff lives in Postgres, so neither
the resumer nor a duplicate message runs the step early, and a lost retry message
is made good by the resumer once the lease runs out.
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


class RollForward(Exception):
    """Raised by a compensation that finds its step took effect after all (the last step's
    commit went through but its answer was lost): the saga must not be undone past a point
    of no return, so it resumes after that step with ``updates`` saved, as if it had succeeded."""

    def __init__(self, updates: Updates | None = None) -> None:
        super().__init__("the step took effect; rolling forward")
        self.updates = updates or {}


class LeaseLost(Exception):
    """Another worker took the saga over (our lease ran out); stop touching it."""


class RetryLater(Exception):
    """A step errored; the saga is leased until its retry is due, in ``delay`` seconds."""

    def __init__(self, delay: float, cause: Exception) -> None:
        super().__init__(f"retry in {delay:.1f}s after {cause!r}")
        self.delay = delay
        self.cause = cause


Backoff = Callable[[int], float]  # failed attempts so far -> seconds until the next one


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


def advance(
    checkout_id: uuid.UUID | str,
    steps: Sequence[Step],
    *,
    lease: timedelta,
    max_attempts: int,
    backoff: Backoff | None = None,
) -> str | None:
    """Drive the saga as far as it goes now; returns its state, or None if another worker owns it.

    On a retryable error: without ``backoff``, gives the lease back and raises the step's
    exception; with it, keeps the lease until the retry is due and raises :class:`RetryLater`.
    """
    claim = _claim(checkout_id, lease)
    if claim is None:
        return None
    checkout = claim.checkout
    lease_after: Any = None  # what the lease becomes when we stop: free, or held for a backoff
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
    except Exception as exc:
        if backoff is None:
            raise
        delay = backoff(checkout.attempts)
        lease_after = timezone.now() + timedelta(seconds=delay)
        raise RetryLater(delay, exc) from exc
    finally:
        Checkout.objects.filter(id=checkout.id, lease_token=claim.token).update(lease_until=lease_after)


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
        except RollForward as forward:
            with transaction.atomic():
                _save(
                    claim,
                    state=CheckoutState.RUNNING,
                    step_index=index + 1,
                    attempts=0,
                    failure_code="",
                    failure_message="",
                    **forward.updates,
                )
                _journal(checkout, current.name, "compensate", "succeeded", "rolled forward", started_at)
            return
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


def stuck_sagas(limit: int = 200, idle: timedelta = timedelta(seconds=5)) -> list[uuid.UUID]:
    """Unfinished sagas nobody holds and nobody touched for ``idle``: their worker died,
    their retry was lost, or their first message is still waiting in a long queue (hence
    ``idle``: resuming those would only duplicate them)."""
    now = timezone.now()
    return list(
        Checkout.objects.filter(state__in=[CheckoutState.PENDING, CheckoutState.RUNNING, CheckoutState.COMPENSATING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(updated_at__lt=now - idle)
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )
