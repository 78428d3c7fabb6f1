"""The order state machine: one table of moves, refusals change nothing, every move recorded and published."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from shop.core.models import OutboxEvent
from shop.orders import lifecycle
from shop.orders.lifecycle import InvalidTransition, stage_of_shipments
from shop.orders.models import Order, OrderStatus, OrderStatusChange
from shop.orders.transitions import lock, move
from tests.factories_orders import place_order

ALL = [s.value for s in OrderStatus]
ALLOWED = {(t.source, t.target) for t in lifecycle.TRANSITIONS}


def force_status(order_id: int, status: str) -> None:
    Order.objects.filter(id=order_id).update(status=status)


def try_move(order_id: int, target: str, actor: str) -> None:
    with transaction.atomic():
        move(lock(order_id), target, actor, "test")


def test_the_table_is_the_documented_lifecycle():
    forward = ["placed", "payment_confirmed", "picked", "shipped", "delivered", "return_requested", "returned"]
    for source, target in itertools.pairwise([*forward, "refunded"]):
        assert (source, target) in ALLOWED
    assert ("placed", "cancelled") in ALLOWED
    assert ("payment_confirmed", "cancelled") in ALLOWED
    assert not any(
        t.target == "cancelled" for t in lifecycle.TRANSITIONS if t.source not in ("placed", "payment_confirmed")
    )
    assert not any(t.source == "cancelled" for t in lifecycle.TRANSITIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), [p for p in itertools.product(ALL, ALL) if p not in ALLOWED])
def test_a_move_not_in_the_table_is_refused_and_changes_nothing(source, target):
    order = place_order()
    force_status(order.order_id, source)
    history, events = OrderStatusChange.objects.count(), OutboxEvent.objects.count()

    with pytest.raises(InvalidTransition) as refused:
        try_move(order.order_id, target, "staff:1")

    assert refused.value.code == "invalid_transition"
    assert refused.value.message.startswith("An order that is")
    assert Order.objects.get(id=order.order_id).status == source
    assert (OrderStatusChange.objects.count(), OutboxEvent.objects.count()) == (history, events)


@pytest.mark.django_db
def test_a_move_in_the_table_by_someone_it_does_not_name_is_refused():
    order = place_order()

    with pytest.raises(InvalidTransition) as refused:
        try_move(order.order_id, "payment_confirmed", "customer:7")

    assert refused.value.code == "not_allowed"
    assert "not something a customer can do" in refused.value.message
    assert Order.objects.get(id=order.order_id).status == "placed"


@pytest.mark.django_db
def test_every_move_is_recorded_with_who_when_why_and_published_in_the_same_transaction():
    order = place_order(user_id=5)

    try_move(order.order_id, "cancelled", "customer:5")

    change = OrderStatusChange.objects.filter(order_id=order.order_id).order_by("id").last()
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "placed",
        "cancelled",
        "customer:5",
        "test",
    )
    assert change.created_at is not None
    event = OutboxEvent.objects.filter(event_type="orders.OrderStatusChanged").get()
    assert event.payload == {
        "order_id": order.order_id,
        "order_number": order.number,
        "user_id": 5,
        "email": "buyer@example.com",
        "from_status": "placed",
        "to_status": "cancelled",
        "actor": "customer:5",
        "reason": "test",
    }


@pytest.mark.django_db
def test_an_unknown_actor_is_a_programming_error():
    order = place_order()
    with pytest.raises(ValueError, match="unknown actor"):
        try_move(order.order_id, "cancelled", "robot")


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([], "payment_confirmed"),
        (["payment_confirmed", "payment_confirmed"], "payment_confirmed"),
        (["picked", "payment_confirmed"], "picked"),  # one parcel picked: too late to cancel
        (["shipped", "payment_confirmed"], "picked"),
        (["shipped", "picked"], "picked"),
        (["shipped", "shipped"], "shipped"),
        (["delivered", "shipped"], "shipped"),
        (["delivered", "delivered"], "delivered"),
    ],
)
def test_the_order_follows_its_shipments(stages, expected):
    assert stage_of_shipments(stages) == expected


@pytest.mark.parametrize("status", ALL)
def test_customers_may_cancel_only_before_the_pick(status):
    targets = {t.target for t in lifecycle.allowed_targets(status, "customer:1")}
    assert ("cancelled" in targets) == (status in ("placed", "payment_confirmed"))
