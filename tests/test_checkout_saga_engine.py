"""The saga engine: forward steps, compensation in reverse, retries, leases, deadlines."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shop.checkout.models import Checkout, CheckoutStepLog
from shop.checkout.saga import advance, stuck_sagas
from shop.core.saga import RetryLater, RollForward, StepFailed, step

LEASE = timedelta(seconds=30)


def new_checkout(**fields) -> Checkout:
    defaults = {
        "owner": "user:1",
        "idempotency_key": str(time.time_ns()),
        "request_hash": "x",
        "email": "a@example.com",
        "lines": [],
        "shipping_address": {},
        "shipping_option": "standard",
        "payment_method": "pm_test",
        "deadline": timezone.now() + timedelta(minutes=10),
    }
    return Checkout.objects.create(**(defaults | fields))


class Recorder:
    """Steps that record what ran, and can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_business: set[str] = set()
        self.fail_transient: dict[str, int] = {}

    def invoke(self, name: str, updates: dict | None = None):
        def run(checkout: Checkout) -> dict | None:
            self.calls.append(f"+{name}")
            if name in self.fail_business:
                raise StepFailed("declined", f"{name} said no")
            if self.fail_transient.get(name, 0) > 0:
                self.fail_transient[name] -= 1
                raise ConnectionError(f"{name} timed out")
            return updates

        return run

    def compensate(self, name: str):
        def run(checkout: Checkout) -> None:
            self.calls.append(f"-{name}")

        return run

    def steps(self):
        return [
            step(
                "reserve",
                self.invoke("reserve", {"allocations": [{"sku_id": 1, "warehouse_id": 2}]}),
                self.compensate("reserve"),
            ),
            step("price", self.invoke("price", {"currency": "INR"})),
            step("authorize", self.invoke("authorize"), self.compensate("authorize")),
            step("order", self.invoke("order", {"order_id": 99})),
        ]


@pytest.mark.django_db
def test_steps_run_in_order_and_their_results_are_saved():
    recorder, checkout = Recorder(), new_checkout()

    state = advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)

    checkout.refresh_from_db()
    assert state == "completed"
    assert recorder.calls == ["+reserve", "+price", "+authorize", "+order"]
    assert (checkout.order_id, checkout.currency, checkout.lease_until) == (99, "INR", None)
    assert list(checkout.steps.values_list("step", "outcome")) == [
        ("reserve", "succeeded"),
        ("price", "succeeded"),
        ("authorize", "succeeded"),
        ("order", "succeeded"),
    ]


@pytest.mark.django_db
def test_business_failure_compensates_completed_steps_in_reverse_order():
    recorder, checkout = Recorder(), new_checkout()
    recorder.fail_business.add("authorize")

    state = advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)

    checkout.refresh_from_db()
    assert state == "failed"
    assert recorder.calls == ["+reserve", "+price", "+authorize", "-authorize", "-reserve"]
    assert (checkout.failure_code, checkout.failure_message) == ("declined", "authorize said no")
    compensations = CheckoutStepLog.objects.filter(checkout=checkout, action="compensate")
    assert list(compensations.values_list("step", flat=True)) == ["authorize", "reserve"]


@pytest.mark.django_db
def test_transient_error_is_raised_for_retry_then_the_step_runs_again():
    recorder, checkout = Recorder(), new_checkout()
    recorder.fail_transient["price"] = 1

    with pytest.raises(ConnectionError):
        advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)
    checkout.refresh_from_db()
    assert (checkout.step_index, checkout.attempts, checkout.lease_until) == (1, 1, None)

    assert advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3) == "completed"
    assert recorder.calls.count("+price") == 2
    assert recorder.calls.count("+reserve") == 1


@pytest.mark.django_db
def test_a_step_that_keeps_erroring_is_compensated_after_max_attempts():
    recorder, checkout = Recorder(), new_checkout()
    recorder.fail_transient["authorize"] = 10

    for _ in range(2):
        with pytest.raises(ConnectionError):
            advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)
    state = advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)

    checkout.refresh_from_db()
    assert state == "failed"
    assert checkout.failure_code == "temporary_failure"
    assert recorder.calls[-2:] == ["-authorize", "-reserve"]


@pytest.mark.django_db
def test_a_saga_leased_by_another_worker_is_left_alone():
    recorder = Recorder()
    checkout = new_checkout(lease_until=timezone.now() + timedelta(seconds=20))

    assert advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3) is None
    assert recorder.calls == []


@pytest.mark.django_db
def test_an_expired_checkout_is_driven_to_compensation():
    recorder = Recorder()
    checkout = new_checkout(step_index=3, state="running", deadline=timezone.now() - timedelta(seconds=1))

    state = advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3)

    checkout.refresh_from_db()
    assert state == "failed"
    assert checkout.failure_code == "expired"
    assert recorder.calls == ["-authorize", "-reserve"]


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_stops_without_writing():
    recorder = Recorder()
    checkout = new_checkout()
    steps = recorder.steps()

    def steal_lease(c: Checkout) -> None:
        Checkout.objects.filter(id=c.id).update(lease_token=None)  # another worker took over

    steps[1] = step("price", steal_lease)

    assert advance(checkout.id, steps, lease=LEASE, max_attempts=3) is None
    checkout.refresh_from_db()
    assert checkout.step_index == 1


@pytest.mark.django_db
def test_stuck_sagas_are_found_once_their_lease_has_run_out():
    old = timezone.now() - timedelta(minutes=1)
    stuck = new_checkout(state="running", lease_until=old)
    new_checkout(state="running", lease_until=timezone.now() + timedelta(minutes=1))
    new_checkout(state="completed")
    Checkout.objects.filter(id=stuck.id).update(updated_at=old)

    assert stuck_sagas() == [stuck.id]


@pytest.mark.django_db(transaction=True)
def test_concurrent_advances_run_each_step_exactly_once():
    recorder, checkout = Recorder(), new_checkout()
    steps, barrier = recorder.steps(), threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            for _ in range(20):
                advance(checkout.id, steps, lease=LEASE, max_attempts=3)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(recorder.calls) == sorted(["+reserve", "+price", "+authorize", "+order"])
    checkout.refresh_from_db()
    assert checkout.state == "completed"


@pytest.mark.django_db
def test_with_a_backoff_an_erroring_step_keeps_the_lease_until_its_retry_is_due():
    recorder, checkout = Recorder(), new_checkout()
    recorder.fail_transient["price"] = 1

    with pytest.raises(RetryLater) as later:
        advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3, backoff=lambda attempts: 30.0 * attempts)

    checkout.refresh_from_db()
    assert later.value.delay == 30.0
    assert isinstance(later.value.cause, ConnectionError)
    assert checkout.lease_until > timezone.now() + timedelta(seconds=25)  # nobody runs it early
    assert advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3) is None
    Checkout.objects.filter(id=checkout.id).update(
        lease_until=timezone.now() - timedelta(seconds=1), updated_at=timezone.now() - timedelta(minutes=1)
    )
    assert stuck_sagas() == [checkout.id]  # the retry message was lost: the resumer takes it
    assert advance(checkout.id, recorder.steps(), lease=LEASE, max_attempts=3) == "completed"


@pytest.mark.django_db
def test_stuck_sagas_leaves_recently_touched_ones_to_their_queued_message():
    checkout = new_checkout()
    Checkout.objects.filter(id=checkout.id).update(updated_at=timezone.now() - timedelta(seconds=8))

    assert stuck_sagas(idle=timedelta(seconds=10)) == []
    assert stuck_sagas(idle=timedelta(seconds=5)) == [checkout.id]


@pytest.mark.django_db
def test_a_compensation_that_rolls_forward_completes_the_saga_with_its_updates():
    recorder, checkout = Recorder(), new_checkout()
    steps = recorder.steps()
    recorder.fail_business.add("order")

    def found_it(c: Checkout) -> None:
        raise RollForward({"order_id": 7})

    steps[3] = step("order", recorder.invoke("order"), found_it)

    state = advance(checkout.id, steps, lease=LEASE, max_attempts=3)

    checkout.refresh_from_db()
    assert state == "completed"
    assert (checkout.order_id, checkout.failure_code, checkout.failure_message) == (7, "", "")
    assert "-authorize" not in recorder.calls
    assert CheckoutStepLog.objects.filter(checkout=checkout, action="compensate").get().detail == "rolled forward"
