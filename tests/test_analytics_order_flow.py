"""The analytics consumer counts order moves per day, once per event."""

from __future__ import annotations

from django.utils import timezone

from shop.analytics import services as analytics
from shop.analytics.handlers import count_transition
from shop.core.models import OutboxEvent
from shop.core.tasks import apply_event
from shop.orders import services as orders
from tests.factories_orders import place_order

CONSUMER = f"{count_transition.__module__}.{count_transition.__qualname__}"


def test_moves_are_counted_per_day_and_a_redelivery_is_not_counted_again(lifecycle):
    for _ in range(3):
        place_order()
    cancelled = place_order()
    orders.cancel_order(cancelled.order_id, actor="staff:1")

    counts = analytics.transition_counts(timezone.now().date())
    assert counts[("", "placed")] == 4
    assert counts[("placed", "cancelled")] == 1

    row = OutboxEvent.objects.get(event_type="orders.OrderStatusChanged")
    envelope = {
        "id": str(row.event_id),
        "type": row.event_type,
        "occurred_at": row.occurred_at.isoformat(),
        "payload": row.payload,
    }
    assert apply_event(CONSUMER, envelope) is False
    assert analytics.transition_counts(timezone.now().date())[("placed", "cancelled")] == 1
