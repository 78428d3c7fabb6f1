"""The interaction log: validated appends, live context after commit, buffered views, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shop.core.redis import get_redis
from shop.recs import context, interactions, services
from shop.recs.clients import make_request_client
from shop.recs.context import Visitor
from shop.recs.models import Interaction
from tests.factories_recs import InteractionFactory

pytestmark = pytest.mark.django_db


def live(visitor: Visitor) -> context.LiveContext:
    pipe = get_redis().pipeline()
    context.queue_read(pipe, visitor)
    return context.parse_read(pipe.execute())


def test_recording_an_interaction_appends_to_the_log_and_updates_live_context(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_interaction("add_to_cart", 42, user_id=7, quantity=2)

    row = Interaction.objects.get()
    assert (row.kind, row.product_id, row.user_id, row.quantity) == (Interaction.Kind.ADD_TO_CART, 42, 7, 2)
    assert live(Visitor(user_id=7)).in_cart == {42}


def test_a_purchase_takes_the_product_out_of_the_cart_and_marks_it_just_bought(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_interaction("add_to_cart", 42, session_id="cart-token-1")
        services.record_interactions(
            [
                services.InteractionIn("purchase", 42, session_id="cart-token-1"),
                services.InteractionIn("purchase", 43, session_id="cart-token-1"),
            ]
        )

    state = live(Visitor(session_id="cart-token-1"))
    assert state.in_cart == set()
    assert state.bought == {42, 43}
    assert Interaction.objects.filter(kind=Interaction.Kind.PURCHASE).count() == 2


def failing_order() -> None:
    with transaction.atomic():
        services.record_interaction("purchase", 42, user_id=7)
        raise RuntimeError("the order fails")


def test_live_context_follows_only_a_committed_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_order()

    assert not Interaction.objects.exists()
    assert live(Visitor(user_id=7)).bought == set()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "like", "product_id": 1, "user_id": 1}, "kind must be one of"),
        ({"kind": "view", "product_id": 0, "user_id": 1}, "product_id must be a positive integer"),
        ({"kind": "view", "product_id": "12", "user_id": 1}, "product_id must be a positive integer"),
        ({"kind": "view", "product_id": 1}, "needs a user_id or a session_id"),
        ({"kind": "view", "product_id": 1, "user_id": -3}, "user_id must be a positive integer"),
        ({"kind": "view", "product_id": 1, "session_id": "x" * 65}, "session_id must be"),
        ({"kind": "view", "product_id": 1, "session_id": "bad id!"}, "session_id must be"),
        ({"kind": "view", "product_id": 1, "user_id": 1, "quantity": 0}, "quantity must be"),
    ],
)
def test_an_invalid_interaction_is_refused_with_a_reason(kwargs, message):
    with pytest.raises(services.InvalidInteraction, match=message):
        services.record_interaction(**kwargs)

    assert not Interaction.objects.exists()


def test_a_batch_with_one_invalid_signal_writes_nothing():
    with pytest.raises(services.InvalidInteraction):
        services.record_interactions(
            [services.InteractionIn("purchase", 1, user_id=1), services.InteractionIn("purchase", -1, user_id=1)]
        )

    assert not Interaction.objects.exists()


def test_views_are_buffered_in_redis_and_flushed_to_the_log_in_bulk(monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(interactions, "FLUSH_BATCH", 3)
    for product_id in range(1, 8):
        services.record_view(product_id, session_id="visitor-0001")
    assert not Interaction.objects.exists()
    assert live(Visitor(session_id="visitor-0001")).viewed == [7, 6, 5, 4, 3, 2, 1]

    with django_assert_max_num_queries(3):  # one INSERT per batch of 3
        moved = interactions.flush_views()

    assert moved == 7
    assert sorted(Interaction.objects.values_list("product_id", flat=True)) == list(range(1, 8))
    assert get_redis().llen(interactions.VIEW_BUFFER_KEY) == 0
    assert interactions.flush_views() == 0


def test_only_one_flusher_runs_at_a_time():
    services.record_view(1, session_id="visitor-0002")
    get_redis().set(interactions.FLUSH_LOCK_KEY, 1)

    assert interactions.flush_views() == 0
    assert get_redis().llen(interactions.VIEW_BUFFER_KEY) == 1


def test_a_malformed_buffered_view_is_dropped_with_a_log_line(caplog):
    get_redis().rpush(interactions.VIEW_BUFFER_KEY, b"not json", b'[5, null, "visitor-0003", 1700000000.0]')

    assert interactions.flush_views() == 1
    assert "dropping a malformed buffered view" in caplog.text


def test_with_redis_down_a_view_is_written_straight_to_postgres(monkeypatch, caplog):
    unreachable = make_request_client("redis://127.0.0.1:1/0")
    monkeypatch.setattr(interactions, "request_redis", lambda: unreachable)

    services.record_view(9, user_id=3)

    assert Interaction.objects.get().product_id == 9
    assert "Redis unavailable buffering a view" in caplog.text


def test_recent_views_are_kept_newest_first_without_repeats():
    for product_id in (1, 2, 1, 3):
        services.record_view(product_id, user_id=4)

    assert live(Visitor(user_id=4)).viewed == [3, 1, 2]


def test_pruning_deletes_rows_past_their_kinds_retention_in_chunks(settings, monkeypatch):
    settings.RECS_RETENTION_DAYS = {"view": 10, "add_to_cart": 20, "purchase": 100}
    monkeypatch.setattr(interactions, "PRUNE_CHUNK", 2)
    now = timezone.now()
    for days in (5, 15, 15, 15):
        InteractionFactory(kind=Interaction.Kind.VIEW, occurred_at=now - timedelta(days=days))
    InteractionFactory(kind=Interaction.Kind.ADD_TO_CART, occurred_at=now - timedelta(days=15))
    InteractionFactory(kind=Interaction.Kind.PURCHASE, occurred_at=now - timedelta(days=50))

    deleted = interactions.prune(now)

    assert deleted == 3
    assert sorted(Interaction.objects.values_list("kind", flat=True)) == [1, 2, 3]
