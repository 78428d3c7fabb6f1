"""The refund saga's Celery tasks (idempotent: the saga's lease and step counter decide what runs)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from shop.core import saga
from shop.orders import refunds
from shop.orders.models import Refund


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_refund(self: Any, refund_id: int) -> str | None:
    """Advance the refund saga; an erroring step is retried with backoff (capped at 5 minutes)."""
    try:
        return refunds.advance(refund_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc


@shared_task
def resume_refunds() -> int:
    """Restart refund sagas whose worker died or whose retry was lost (beat, every 30 s)."""
    stuck = saga.stuck(Refund)
    for refund_id in stuck:
        run_refund.delay(refund_id)
    return len(stuck)
