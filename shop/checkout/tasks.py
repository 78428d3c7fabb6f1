"""The checkout saga's Celery tasks: run one checkout, and resume the ones left behind.

``run_checkout`` is acknowledged late and rejected (so redelivered) when its worker
dies; the saga's lease in Postgres makes a second delivery harmless. A step that
errors keeps the lease for its backoff and the task retries when it is due. The beat
task ``resume_stuck_checkouts`` restarts sagas nobody holds any more (a dead worker,
a lost retry) and so also drives expired ones to compensation.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from shop.checkout.saga import advance, stuck_sagas
from shop.checkout.steps import CHECKOUT_STEPS
from shop.core.saga import RetryLater


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base, twice that, four times, ... capped."""
    delay = settings.CHECKOUT_RETRY_BASE_SECONDS * 2.0 ** min(max(attempts - 1, 0), 20)
    return min(settings.CHECKOUT_RETRY_MAX_SECONDS, delay) * random.uniform(0.8, 1.2)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_checkout(self: Any, checkout_id: str) -> str | None:
    """Drive one checkout as far as it goes; its state, or None if another worker has it."""
    try:
        return advance(
            checkout_id,
            CHECKOUT_STEPS,
            lease=timedelta(seconds=settings.CHECKOUT_LEASE_SECONDS),
            max_attempts=settings.CHECKOUT_MAX_ATTEMPTS,
            backoff=retry_delay,
        )
    except RetryLater as later:
        raise self.retry(countdown=later.delay, exc=later.cause) from later


@shared_task(acks_late=True)
def resume_stuck_checkouts() -> int:
    """Hand every checkout nobody is working on to a worker again; how many."""
    stuck = stuck_sagas(idle=timedelta(seconds=settings.CHECKOUT_STUCK_AFTER_SECONDS))
    for checkout_id in stuck:
        run_checkout.delay(str(checkout_id))
    return len(stuck)
