"""The checkout saga on the shared engine (``shop.core.saga``): a ``Checkout`` row is the saga.

A checkout that keeps failing for ``max_attempts`` is compensated and the customer
is told they were not charged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from shop.checkout.models import Checkout
from shop.core import saga
from shop.core.saga import Backoff, Step

GIVE_UP_MESSAGE = "We could not complete your order; you have not been charged."
EXPIRED_MESSAGE = "The checkout took too long and was cancelled."


def advance(
    checkout_id: uuid.UUID | str,
    steps: Sequence[Step],
    *,
    lease: timedelta,
    max_attempts: int,
    backoff: Backoff | None = None,
) -> str | None:
    """Drive the checkout as far as it goes now; its state, or None if another worker owns it."""
    return saga.advance(
        Checkout,
        checkout_id,
        steps,
        lease=lease,
        max_attempts=max_attempts,
        give_up_message=GIVE_UP_MESSAGE,
        expired_message=EXPIRED_MESSAGE,
        backoff=backoff,
    )


def stuck_sagas(limit: int = 200, idle: timedelta = timedelta(seconds=5)) -> list[uuid.UUID]:
    """Unfinished checkouts nobody holds and nobody touched for ``idle``."""
    return saga.stuck(Checkout, limit, idle)
