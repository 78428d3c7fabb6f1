"""Crash safety with real Celery workers, the real broker and the payments emulator.

A worker is killed (``os._exit``, like ``kill -9``) right after a step's action and before
its result is recorded, the worst moment (``SHOP_SAGA_FAULT``). A new worker with beat then
resumes the saga once its lease has run out. Whatever step it died in, the checkout ends as
one order with one authorization, or, past its deadline, fully compensated: no order, no
charge, no hold. Leases are two seconds here so recovery is quick.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from shop.celery import app as celery_app
from shop.checkout.models import Checkout
from shop.checkout.steps import STEP_NAMES
from shop.core.saga import FAULT_ENV
from shop.orders.models import Order
from tests.conftest import OUTPUT_DIR, WorkerProcess, wait_until
from tests.factories_checkout import (
    DECLINED,
    available,
    cart_lines,
    default_pricing,
    hold_of,
    on_hand,
    order_body,
    payment_of,
    place,
    shopper_with,
)
from tests.factories_payments import intents_at_processor

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUICK_RECOVERY = {
    "CHECKOUT_LEASE_SECONDS": "2",
    "CHECKOUT_STUCK_AFTER_SECONDS": "1",
    "CHECKOUT_RESUME_INTERVAL_SECONDS": "1",
    "CHECKOUT_RETRY_BASE_SECONDS": "0.2",
}
Start = Callable[..., WorkerProcess]


@pytest.fixture
def workers(payments_emulator, stripe_emulator, _worker_process, transactional_db, tmp_path) -> Iterator[Start]:
    """Start workers (with a fault to inject, with beat) on the emulator; all stopped afterwards.
    The session's shared worker is stopped first so it cannot take these tests' messages."""
    _worker_process.stop()
    default_pricing()
    started: list[WorkerProcess] = []
    celery_app.conf.task_always_eager = False

    def start(fault: str = "", *, beat: bool = False) -> WorkerProcess:
        env = QUICK_RECOVERY | ({FAULT_ENV: fault} if fault else {})
        worker = WorkerProcess(connection.settings_dict["NAME"], OUTPUT_DIR / "celery-worker-checkout.log", env)
        args = ("--beat", "--schedule", str(tmp_path / f"beat-{len(started)}")) if beat else ()
        worker.start(*args)
        started.append(worker)
        return worker

    try:
        celery_app.control.purge()
        yield start
    finally:
        for worker in started:
            worker.stop()
        celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def finished(checkout_id: str, timeout: float = 60) -> Checkout:
    return wait_until(
        lambda: Checkout.objects.filter(id=checkout_id, state__in=["completed", "failed"]).first(),
        timeout=timeout,
        interval=0.1,
        message=f"checkout {checkout_id} to finish",
    )


def died(worker: WorkerProcess) -> int:
    wait_until(lambda: worker.process.poll() is not None, timeout=30, message="the worker to die at the fault")
    return worker.process.returncode


def authorizations(emulator, checkout_id: str) -> list[str]:
    """Statuses of the processor's intents for the checkout (ours carry the reference)."""
    return [intent["status"] for intent in intents_at_processor(emulator, f"checkout-{checkout_id}")]


def test_a_worker_places_the_order_within_seconds(workers, payments_emulator):
    workers()
    who = shopper_with(price="600.00", quantity=2, stock=5)
    api = APIClient()
    api.force_authenticate(who.user)

    started = time.monotonic()
    body = api.post("/api/v1/checkout", order_body(), format="json", headers={"Idempotency-Key": "k1"}).json()
    wait_until(lambda: api.get(body["status_url"]).json()["is_terminal"], timeout=30, interval=0.05)
    elapsed = time.monotonic() - started

    status = api.get(body["status_url"]).json()
    assert status["state"] == "completed"
    assert status["order"]["number"]
    assert elapsed < 5, f"took {elapsed:.1f}s"
    assert authorizations(payments_emulator, body["id"]) == ["requires_capture"]
    assert (on_hand(who.skus[0]), cart_lines(who)) == (3, {})


def test_a_worker_compensates_a_declined_card(workers, payments_emulator):
    workers()
    who = shopper_with(price="600.00", quantity=2, stock=5)

    checkout = finished(place(who, DECLINED).checkout_id)

    assert (checkout.state, checkout.failure_code) == ("failed", "generic_decline")
    assert (hold_of(checkout.id), payment_of(checkout.id)) == ("released", "failed")
    assert authorizations(payments_emulator, checkout.id) == ["requires_payment_method"]  # declined: never held
    assert available(who.skus[0]) == 5
    assert cart_lines(who) == {who.skus[0].id: (2, who.skus[0].price)}


@pytest.mark.parametrize("step", STEP_NAMES)
def test_a_worker_killed_after_any_step_ends_in_exactly_one_order_and_one_authorization(
    workers, payments_emulator, step
):
    who = shopper_with(price="600.00", quantity=2, stock=5)
    doomed = workers(f"kill-after:{step}")

    info = place(who)
    assert died(doomed) == 137
    stalled = Checkout.objects.get(id=info.checkout_id)
    assert (stalled.state, STEP_NAMES[stalled.step_index]) == ("running", step)  # its result was never recorded

    workers(beat=True)  # a new worker; its beat finds the saga once the dead one's lease runs out
    checkout = finished(info.checkout_id)

    assert checkout.state == "completed"
    assert Order.objects.filter(checkout_id=checkout.id).count() == 1
    assert authorizations(payments_emulator, checkout.id) == ["requires_capture"]
    assert payment_of(checkout.id) == "authorized"
    assert hold_of(checkout.id) == "committed"
    assert (on_hand(who.skus[0]), available(who.skus[0])) == (3, 3)
    assert cart_lines(who) == {}


@pytest.mark.parametrize("step", ["authorize", "commit"])
def test_a_worker_killed_and_recovered_past_the_deadline_leaves_no_charge_and_no_hold(workers, payments_emulator, step):
    who = shopper_with(price="600.00", quantity=2, stock=5)
    doomed = workers(f"kill-after:{step}")
    info = place(who)
    died(doomed)
    Checkout.objects.filter(id=info.checkout_id).update(deadline=timezone.now() - timedelta(seconds=1))

    workers(beat=True)
    checkout = finished(info.checkout_id)

    assert (checkout.state, checkout.failure_code) == ("failed", "expired")
    assert not Order.objects.filter(checkout_id=checkout.id).exists()
    assert authorizations(payments_emulator, checkout.id) == ["canceled"]
    assert payment_of(checkout.id) == "voided"
    assert hold_of(checkout.id) in ("released", "committed")  # committed ones were restocked:
    assert (on_hand(who.skus[0]), available(who.skus[0])) == (5, 5)
    assert cart_lines(who) == {who.skus[0].id: (2, who.skus[0].price)}


@pytest.mark.parametrize("step", ["authorize", "reserve"])
def test_a_worker_killed_while_compensating_finishes_the_compensation(workers, payments_emulator, step):
    who = shopper_with(price="600.00", quantity=1, stock=5)
    doomed = workers(f"kill-after-compensate:{step}")
    info = place(who, DECLINED)
    died(doomed)

    workers(beat=True)
    checkout = finished(info.checkout_id)

    assert (checkout.state, checkout.failure_code) == ("failed", "generic_decline")
    assert (hold_of(checkout.id), payment_of(checkout.id)) == ("released", "failed")
    assert available(who.skus[0]) == 5


@pytest.mark.browser
def test_in_a_browser_the_confirmation_page_follows_the_saga_to_the_order_number(workers, live_server, client, page):
    workers()
    who = shopper_with(price="600.00")
    client.force_login(who.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/checkout/")
    page.get_by_label("Full name").fill("Asha Rao")
    page.get_by_label("Address line 1").fill("1 MG Road")
    page.get_by_label("City").fill("Bengaluru")
    page.get_by_label("PIN code").fill("560001")
    page.get_by_role("button", name="Deliver here").click()
    page.get_by_label("Express").check()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place your order").click()
    number = page.locator("#order-number")
    number.wait_for(timeout=20_000)  # the page polled the status API and reloaded at the end
    shown = number.inner_text()

    checkout = Checkout.objects.get()
    assert (checkout.state, checkout.shipping_option) == ("completed", "express")
    assert shown == checkout.order_number
