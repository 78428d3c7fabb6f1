"""The shared saga engine (``shop.core.saga``) beyond what checkout uses: steps past the point of no return."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.checkout.models import Checkout
from shop.core import saga
from shop.core.saga import StepFailed, step

LEASE = timedelta(seconds=30)


def new_saga() -> Checkout:
    return Checkout.objects.create(
        owner="user:1",
        idempotency_key=str(timezone.now().timestamp()),
        request_hash="x",
        email="a@example.com",
        lines=[],
        shipping_address={},
        shipping_option="standard",
        payment_method="pm_test",
        deadline=timezone.now() + timedelta(minutes=10),
    )


@pytest.mark.django_db
def test_a_step_declared_retry_until_done_is_retried_past_max_attempts_and_never_compensated():
    calls: list[str] = []
    failures = {"n": 5}

    def flaky(record: Checkout) -> None:
        calls.append("+close")
        if failures["n"]:
            failures["n"] -= 1
            raise ConnectionError("down")

    steps = [
        step("pay", lambda r: calls.append("+pay"), lambda r: calls.append("-pay")),
        step("close", flaky, retry_until_done=True),
    ]
    record = new_saga()

    for _ in range(5):
        with pytest.raises(ConnectionError):
            saga.advance(Checkout, record.id, steps, lease=LEASE, max_attempts=2)
    state = saga.advance(Checkout, record.id, steps, lease=LEASE, max_attempts=2)

    assert state == "completed"
    assert "-pay" not in calls
    assert calls.count("+pay") == 1
    assert calls.count("+close") == 6


@pytest.mark.django_db
def test_a_business_failure_in_a_retry_until_done_step_still_compensates():
    calls: list[str] = []

    def refuse(record: Checkout) -> None:
        raise StepFailed("refused", "no")

    steps = [
        step("pay", lambda r: calls.append("+pay"), lambda r: calls.append("-pay")),
        step("x", refuse, retry_until_done=True),
    ]

    assert saga.advance(Checkout, new_saga().id, steps, lease=LEASE, max_attempts=2) == "failed"
    assert calls == ["+pay", "-pay"]


@pytest.mark.django_db
def test_stuck_finds_unfinished_sagas_of_any_table():
    record = new_saga()
    Checkout.objects.filter(id=record.id).update(state="running", updated_at=timezone.now() - timedelta(minutes=1))
    assert saga.stuck(Checkout) == [record.id]
