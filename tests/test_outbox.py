"""The transactional outbox and relay: delivered iff committed, applied once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from shop.core.events import Event, envelope_of, publish
from shop.core.models import FailedDelivery, OutboxEvent, ProcessedEvent
from shop.core.tasks import DELIVERY_MAX_RETRIES, apply_event, deliver_events, prune_outbox, relay_outbox
from tests.conftest import wait_until
from tests.probe.events import ProbeHappened
from tests.probe.handlers import record_probe
from tests.probe.models import ProbeDelivery, ProbeRecord

CONSUMER = f"{record_probe.__module__}.{record_probe.__qualname__}"


def change_and_publish(label: str, amount: str = "0") -> ProbeHappened:
    """A 'state change' and its event in one transaction, as services do it."""
    with transaction.atomic():
        ProbeRecord.objects.create(label=label)
        event = ProbeHappened(label=label, amount=Decimal(amount))
        publish(event)
    return event


# --- With a real Celery worker on the real Redis broker -----------------------------------------


@pytest.mark.worker
def test_event_committed_with_its_change_is_delivered_by_the_worker(celery_worker):
    event = change_and_publish("committed", "12.50")

    delivery = wait_until(lambda: ProbeDelivery.objects.filter(event_id=event.event_id).first(), message="delivery")

    assert delivery.amount == Decimal("12.50")
    assert OutboxEvent.objects.get(event_id=event.event_id).relayed_at is not None


@pytest.mark.worker
def test_event_of_a_rolled_back_transaction_is_never_delivered(celery_worker):
    rolled_back = ProbeHappened(label="rolled-back")

    def failing_change() -> None:
        with transaction.atomic():
            ProbeRecord.objects.create(label="rolled-back")
            publish(rolled_back)
            raise RuntimeError("the change fails after publishing")

    with pytest.raises(RuntimeError):
        failing_change()
    marker = change_and_publish("after")

    wait_until(lambda: ProbeDelivery.objects.filter(event_id=marker.event_id).exists(), message="marker delivery")

    assert not OutboxEvent.objects.filter(event_id=rolled_back.event_id).exists()
    assert not ProbeDelivery.objects.filter(event_id=rolled_back.event_id).exists()
    assert not ProbeRecord.objects.filter(label="rolled-back").exists()


@pytest.mark.worker
def test_redelivered_event_is_applied_once(celery_worker):
    event = change_and_publish("twice")
    wait_until(lambda: ProbeDelivery.objects.filter(event_id=event.event_id).exists(), message="first delivery")

    # The relay crashed before stamping the row, and the broker redelivers the message too.
    OutboxEvent.objects.filter(event_id=event.event_id).update(relayed_at=None)
    relay_outbox.delay()
    deliver_events.delay(CONSUMER, [envelope_of(event)])
    wait_until(
        lambda: OutboxEvent.objects.filter(event_id=event.event_id, relayed_at__isnull=False).exists(),
        message="second relay",
    )
    marker = change_and_publish("marker")  # delivered after the duplicates in the same queue
    wait_until(lambda: ProbeDelivery.objects.filter(event_id=marker.event_id).exists(), message="marker delivery")

    assert ProbeDelivery.objects.filter(event_id=event.event_id).count() == 1


# --- In process (eager tasks) -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        publish(ProbeHappened(label="loose"))

    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_event_round_trips_through_its_envelope_with_exact_types():
    event = ProbeHappened(label="types", amount=Decimal("10.05"))

    restored = Event.from_envelope(envelope_of(event))

    assert restored == event
    assert isinstance(restored.amount, Decimal)
    assert isinstance(restored.event_id, uuid.UUID)


@pytest.mark.django_db(transaction=True)
def test_relay_delivers_to_each_consumer_in_publication_order():
    events = [change_and_publish(f"ordered-{i}") for i in range(5)]  # eager: relayed on each commit

    delivered = list(ProbeDelivery.objects.order_by("id").values_list("event_id", flat=True))

    assert delivered == [event.event_id for event in events]


@pytest.mark.django_db(transaction=True)
def test_consumer_failing_past_its_retries_is_parked_without_blocking_later_events():
    failing, later = ProbeHappened(label="fail-always"), ProbeHappened(label="fine")

    # The last allowed attempt (earlier ones were retried with backoff by the worker).
    deliver_events.apply(args=[CONSUMER, [envelope_of(failing), envelope_of(later)]], retries=DELIVERY_MAX_RETRIES)

    failure = FailedDelivery.objects.get(event_id=failing.event_id)
    assert failure.consumer == CONSUMER
    assert "probe consumer asked to fail" in failure.error
    assert ProbeDelivery.objects.filter(event_id=later.event_id).exists()
    assert not ProcessedEvent.objects.filter(event_id=failing.event_id).exists()  # rolled back with the handler


@pytest.mark.django_db
def test_apply_event_marks_processed_in_the_same_transaction():
    event = ProbeHappened(label="once")

    assert apply_event(CONSUMER, envelope_of(event)) is True
    assert apply_event(CONSUMER, envelope_of(event)) is False
    assert ProbeDelivery.objects.filter(event_id=event.event_id).count() == 1


@pytest.mark.django_db
def test_prune_outbox_deletes_only_relayed_events_past_retention(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    old = timezone.now() - timedelta(days=8)
    OutboxEvent.objects.create(event_type="probe.ProbeHappened", payload={}, occurred_at=old, relayed_at=old)
    pending = OutboxEvent.objects.create(event_type="probe.ProbeHappened", payload={}, occurred_at=old)
    recent = OutboxEvent.objects.create(
        event_type="probe.ProbeHappened", payload={}, occurred_at=timezone.now(), relayed_at=timezone.now()
    )

    prune_outbox()

    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {pending.id, recent.id}
