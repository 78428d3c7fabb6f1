"""A small saga engine: steps declared once with their compensation, state in Postgres.

A saga is a row of a model deriving :class:`SagaRecord` (which step it is on, who
holds its lease, how it failed) and a list of ``step(name, invoke, compensate)``.
``advance`` claims the row with a lease (a worker owns it until the lease runs out,
so a crashed worker's saga is picked up by another), runs the next step, and
records the result together with the step counter in one transaction. A step that
fails for a business reason (``StepFailed``: card declined, out of stock) turns the
saga around: compensations run from that step back to the first. A step that errors
(network, crash) is retried; after ``max_attempts`` it is treated as a business
failure, unless the step is declared ``retry_until_done`` (the steps after a saga's
point of no return, such as a refund: they can only go forward). Every invoke and
compensation must be idempotent: after a crash, the step that was running is run
again.

With a ``backoff``, a step that errors keeps the lease until its retry is due and
``advance`` raises :class:`RetryLater`: the backoff lives in Postgres, so neither the
resumer nor a duplicate message runs the step early, and a lost retry message is made
good by the resumer once the lease runs out. A compensation that finds its step took
effect after all raises :class:`RollForward`, and the saga completes instead.

The checkout saga (``shop.checkout``) and the refund saga (``shop.orders``) both run
on it; each has its own table and step journal.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)

# A test hook to prove crash safety: "kill-after:<step>" makes the worker process die
# (no cleanup, like kill -9) right after that step's action and before its result is
# recorded, the worst moment. Never set in production.
FAULT_ENV = "SHOP_SAGA_FAULT"


class SagaState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPENSATING = "compensating", "Compensating"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


TERMINAL_STATES = (SagaState.COMPLETED, SagaState.FAILED)
UNFINISHED_STATES = [SagaState.PENDING, SagaState.RUNNING, SagaState.COMPENSATING]


class SagaRecord(models.Model):
    """The engine's bookkeeping columns; a saga's table derives from it and adds its data.

    ``journal`` writes one line of the saga's step log: each saga has its own ``SagaJournal``
    table, whose foreign key to the saga has ``related_name="steps"``.
    ``deadline`` is optional: past it, an unfinished saga is compensated.
    """

    state = models.CharField(max_length=20, choices=SagaState.choices, default=SagaState.PENDING)
    step_index = models.PositiveSmallIntegerField(default=0, help_text="The next step to run (or to compensate).")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed attempts of the current step.")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker owns the saga until then.")
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    deadline = models.DateTimeField(null=True, blank=True, help_text="Past it, an unfinished saga is compensated.")
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def journal(self, step: str, action: str, outcome: str, detail: str, started_at: datetime) -> None:
        self.steps.create(  # type: ignore[attr-defined]  # the journal table's reverse relation
            step=step, action=action, outcome=outcome, detail=detail, started_at=started_at, finished_at=timezone.now()
        )


class SagaJournal(models.Model):
    """One line per step attempt or compensation, with timestamps; derive it with a FK to the saga."""

    class Action(models.TextChoices):
        INVOKE = "invoke", "Invoke"
        COMPENSATE = "compensate", "Compensate"

    class Outcome(models.TextChoices):
        STARTED = "started", "Started"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (business)"
        ERROR = "error", "Error (will retry)"

    step = models.CharField(max_length=50)
    action = models.CharField(max_length=12, choices=Action.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.step} {self.action} {self.outcome}"


R = TypeVar("R", bound=SagaRecord)


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
    invoke: Callable[[Any], Updates | None]
    compensate: Callable[[Any], None] | None = None
    retry_until_done: bool = False


def step(
    name: str,
    invoke: Callable[[Any], Updates | None],
    compensate: Callable[[Any], None] | None = None,
    *,
    retry_until_done: bool = False,
) -> Step:
    """Declare a saga step: ``invoke`` may return fields to save on the saga's row with its success.

    ``retry_until_done``: errors never turn the saga around, they are retried for as long
    as it takes (for steps after the point of no return)."""
    return Step(name, invoke, compensate, retry_until_done)


class LeaseLost(Exception):
    """Another worker took the saga over (our lease ran out); stop touching it."""


class RetryLater(Exception):
    """A step errored; the saga is leased until its retry is due, in ``delay`` seconds."""

    def __init__(self, delay: float, cause: Exception) -> None:
        super().__init__(f"retry in {delay:.1f}s after {cause!r}")
        self.delay = delay
        self.cause = cause


class RollForward(Exception):
    """Raised by a compensation that finds its step took effect after all (the last step's
    commit went through but its answer was lost): the saga must not be undone past a point
    of no return, so it resumes after that step with ``updates`` saved, as if it had succeeded."""

    def __init__(self, updates: Updates | None = None) -> None:
        super().__init__("the step took effect; rolling forward")
        self.updates = updates or {}


Backoff = Callable[[int], float]  # failed attempts so far -> seconds until the next one


@dataclass
class Claim:
    record: Any
    token: uuid.UUID


def _claim(model: type[R], saga_id: Any, lease: timedelta) -> Claim | None:
    """Take the saga for ``lease`` unless it is finished or another worker holds it."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        model.objects.filter(pk=saga_id, state__in=UNFINISHED_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease, lease_token=token)
    )
    if not claimed:
        return None
    return Claim(model.objects.get(pk=saga_id), token)


def _save(claim: Claim, **fields: Any) -> None:
    """Write saga fields only while we still hold the lease."""
    fields["updated_at"] = timezone.now()
    record = claim.record
    updated = type(record).objects.filter(pk=record.pk, lease_token=claim.token).update(**fields)
    if not updated:
        raise LeaseLost(str(record.pk))
    for name, value in fields.items():
        setattr(record, name, value)


def _journal(record: SagaRecord, step_name: str, action: str, outcome: str, detail: str, started_at: Any) -> None:
    record.journal(step_name, action, outcome, detail[:2000], started_at)


def _maybe_crash(moment: str, step_name: str) -> None:
    if os.environ.get(FAULT_ENV) == f"{moment}:{step_name}":
        log.error("fault injection: killing the worker %s %s", moment, step_name)
        os._exit(137)


def advance(
    model: type[R],
    saga_id: Any,
    steps: Sequence[Step],
    *,
    lease: timedelta,
    max_attempts: int,
    give_up_message: str = "The operation could not be completed.",
    expired_message: str = "It took too long and was cancelled.",
    backoff: Backoff | None = None,
) -> str | None:
    """Drive the saga as far as it goes now; returns its state, or None if another worker owns it.

    Raises the step's exception on a retryable error so the caller (a Celery task)
    retries with backoff; the lease is given back first. ``give_up_message`` is the
    failure message recorded when a step kept erroring for ``max_attempts``,
    ``expired_message`` the one recorded when the deadline passed. With ``backoff``, a
    retryable error keeps the lease until the retry is due and raises :class:`RetryLater`.
    """
    claim = _claim(model, saga_id, lease)
    if claim is None:
        return None
    record = claim.record
    lease_after: Any = None  # what the lease becomes when we stop: free, or held for a backoff
    try:
        while not record.is_terminal:
            expired = (
                record.deadline is not None and timezone.now() > record.deadline and record.step_index < len(steps)
            )
            if record.state != SagaState.COMPENSATING and expired:
                _turn_around(claim, record.step_index, "expired", expired_message)
            if record.state == SagaState.COMPENSATING:
                _compensate_one(claim, steps)
            else:
                _invoke_one(claim, steps, max_attempts, give_up_message)
            _save(claim, lease_until=timezone.now() + lease)  # renew between steps
        return record.state
    except LeaseLost:
        log.warning("lost the lease on %s %s; another worker continues it", model._meta.model_name, saga_id)
        return None
    except Exception as exc:
        if backoff is None:
            raise
        delay = backoff(record.attempts)
        lease_after = timezone.now() + timedelta(seconds=delay)
        raise RetryLater(delay, exc) from exc
    finally:
        model.objects.filter(pk=record.pk, lease_token=claim.token).update(lease_until=lease_after)


def _invoke_one(claim: Claim, steps: Sequence[Step], max_attempts: int, give_up_message: str) -> None:
    record = claim.record
    if record.step_index >= len(steps):
        _save(claim, state=SagaState.COMPLETED)
        return
    current = steps[record.step_index]
    if record.state == SagaState.PENDING:
        _save(claim, state=SagaState.RUNNING)
    started_at = timezone.now()
    try:
        updates = current.invoke(record) or {}
    except StepFailed as failure:
        _journal(record, current.name, "invoke", "failed", f"{failure.code}: {failure.message}", started_at)
        _turn_around(claim, record.step_index, failure.code, failure.message)
        return
    except Exception as exc:
        _journal(record, current.name, "invoke", "error", repr(exc), started_at)
        attempts = record.attempts + 1
        if attempts >= max_attempts and not current.retry_until_done:
            log.exception("%s %s: step %s kept failing; compensating", record._meta.model_name, record.pk, current.name)
            _turn_around(claim, record.step_index, "temporary_failure", give_up_message)
            return
        _save(claim, attempts=min(attempts, 32767))
        raise
    _maybe_crash("kill-after", current.name)
    with transaction.atomic():
        _save(claim, step_index=record.step_index + 1, attempts=0, **updates)
        _journal(record, current.name, "invoke", "succeeded", "", started_at)


def _turn_around(claim: Claim, from_index: int, code: str, message: str) -> None:
    """Switch to compensation, starting with the step that failed (its compensation is a no-op if it did nothing)."""
    _save(
        claim,
        state=SagaState.COMPENSATING,
        step_index=from_index,
        attempts=0,
        failure_code=code,
        failure_message=message[:500],
    )


def _compensate_one(claim: Claim, steps: Sequence[Step]) -> None:
    record = claim.record
    index = min(record.step_index, len(steps) - 1)
    current = steps[index]
    started_at = timezone.now()
    if current.compensate is not None:
        try:
            current.compensate(record)
        except RollForward as forward:
            with transaction.atomic():
                _save(
                    claim,
                    state=SagaState.RUNNING,
                    step_index=index + 1,
                    attempts=0,
                    failure_code="",
                    failure_message="",
                    **forward.updates,
                )
                _journal(record, current.name, "compensate", "succeeded", "rolled forward", started_at)
            return
        except Exception as exc:
            _journal(record, current.name, "compensate", "error", repr(exc), started_at)
            _save(claim, attempts=min(record.attempts + 1, 32767))
            raise
        _maybe_crash("kill-after-compensate", current.name)
    with transaction.atomic():
        if index == 0:
            _save(claim, state=SagaState.FAILED, step_index=0, attempts=0)
        else:
            _save(claim, step_index=index - 1, attempts=0)
        if current.compensate is not None:
            _journal(record, current.name, "compensate", "succeeded", "", started_at)


def stuck(model: type[R], limit: int = 200, idle: timedelta = timedelta(seconds=5)) -> list[Any]:
    """Unfinished sagas nobody holds and nobody touched for ``idle``: their worker died,
    their retry was lost, or their first message is still waiting in a long queue (hence
    ``idle``: resuming those would only duplicate them)."""
    now = timezone.now()
    return list(
        model.objects.filter(state__in=UNFINISHED_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(updated_at__lt=now - idle)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
