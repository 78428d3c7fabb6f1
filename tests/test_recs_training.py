"""The training job: from the interaction log to versioned top-N lists in PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop import settings as shop_settings
from shop.catalog import services as catalog
from shop.recs import training
from shop.recs.locks import Busy
from shop.recs.models import ConsumableCategory, Interaction, ModelVersion, RecList
from tests.factories import ProductFactory
from tests.factories_recs import InteractionFactory, bought, build_world, small_world_als  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_world_als")]


def lists(version: ModelVersion, kind: str) -> dict[int, list[int]]:
    return dict(RecList.objects.filter(version=version, kind=kind).values_list("key", "items"))


def test_training_saves_a_ready_version_with_lists_per_customer_product_category_and_overall():
    world = build_world(activate=False)

    assert world.version.status == ModelVersion.Status.READY
    assert world.version.stats["interactions"] == 12 * 3 + 10
    users, items = lists(world.version, "user"), lists(world.version, "item")
    assert set(users) == {*range(1, 7), *range(11, 17)}
    assert users[1][0] == world.kettle.id  # the one tea thing customer 1 lacks
    assert users[11][0] == world.lamp.id
    assert set(items[world.teapot.id][:3]) == world.tea_things - {world.teapot.id}
    assert set(lists(world.version, "cat")) == {world.tea.id, world.camping.id}
    assert set(lists(world.version, "pop")[0]) == world.tea_things | world.camping_things


def test_training_with_the_shipped_parameters_gives_every_customer_a_list(settings):
    settings.RECS_ALS = shop_settings.RECS_ALS
    world = build_world(activate=False)

    assert len(lists(world.version, "user")) == 12
    assert world.version.params["factors"] == 200


def test_customer_lists_leave_out_what_they_just_bought():
    world = build_world(activate=False)

    users = lists(world.version, "user")

    assert not set(users[2]) & world.tea_things
    assert not set(users[12]) & world.camping_things


def test_consumables_stay_recommended_after_purchase():
    world = build_world(activate=False)
    ConsumableCategory.objects.create(category_id=world.tea.id, note="tea runs out")

    version = training.train()

    assert set(lists(version, "user")[2][:4]) == world.tea_things


def test_purchases_older_than_the_just_bought_window_may_be_recommended_again(settings):
    settings.RECS_JUST_BOUGHT_DAYS = 1  # the world's purchases are two days old

    world = build_world(activate=False)

    assert set(lists(world.version, "user")[2][:4]) == world.tea_things


def test_out_of_stock_and_inactive_products_are_left_out_of_every_list():
    world = build_world(activate=False)
    catalog.set_availability(world.kettle.id, "out_of_stock")
    catalog.update_product(world.lamp.id, is_active=False)

    version = training.train()

    gone = {world.kettle.id, world.lamp.id}
    for kind in ("user", "item", "cat", "pop"):
        for items in lists(version, kind).values():
            assert not set(items) & gone, kind


def test_products_viewed_together_are_related_when_nobody_bought_them():
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    for session in ("s1", "s2", "s3"):
        for product in (a, b):
            InteractionFactory(kind=Interaction.Kind.VIEW, product_id=product.id, user_id=None, session_id=session)
    InteractionFactory(kind=Interaction.Kind.VIEW, product_id=c.id, user_id=None, session_id="s4")

    version = training.train()

    assert lists(version, "item")[a.id] == [b.id]
    assert c.id not in lists(version, "item")


def test_an_empty_log_gives_best_rated_products_as_popular():
    best, good = ProductFactory(rating_count=50), ProductFactory(rating_count=10)
    ProductFactory(rating_count=99, is_active=False)

    version = training.train()

    assert lists(version, "pop")[0] == [best.id, good.id]
    assert lists(version, "user") == {}


def test_training_ignores_interactions_outside_its_window(settings):
    settings.RECS_TRAINING_WINDOW_DAYS = 30
    old, recent = ProductFactory(), ProductFactory()
    bought(1, old, days_ago=40)
    bought(2, recent, days_ago=3)

    version = training.train()

    assert version.stats["interactions"] == 1
    assert lists(version, "pop")[0][0] == recent.id


def test_training_reads_the_log_in_bounded_batches(monkeypatch):
    build_world(activate=False)
    expected = lists(ModelVersion.objects.get(), "item")
    monkeypatch.setattr(training, "READ_BATCH", 5)
    monkeypatch.setattr(training, "COMPACT_AT", 7)

    with CaptureQueriesContext(connection) as queries:
        version = training.train()

    log_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "recs_interaction"' in q["sql"] and "LIMIT 5" in q["sql"]
    ]
    assert len(log_reads) == 46 // 5 + 1  # the full batches and the partial one that ends it
    assert lists(version, "item") == expected


@pytest.mark.django_db(transaction=True)
def test_only_one_training_runs_at_a_time():
    holding, release = threading.Event(), threading.Event()

    def other_training() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [training.TRAINING_LOCK_KEY])
            holding.set()
            release.wait(10)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [training.TRAINING_LOCK_KEY])
        connections["default"].close()

    thread = threading.Thread(target=other_training)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Busy):
            training.train()
    finally:
        release.set()
        thread.join(10)
    assert ModelVersion.objects.count() == 0
    assert training.train().status == ModelVersion.Status.READY


def test_a_failed_training_leaves_a_failed_version_and_no_lists(monkeypatch):
    ProductFactory()

    def explode(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(training, "_popular", explode)

    with pytest.raises(RuntimeError):
        training.train(timezone.now() - timedelta(seconds=1))

    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.FAILED
    assert "out of memory" in version.error
    assert not RecList.objects.exists()


def test_late_arriving_interactions_with_old_timestamps_are_trained_on():
    first, backfilled = ProductFactory(), ProductFactory()
    bought(1, first, days_ago=1)
    bought(2, backfilled, days_ago=200)  # written later, dated earlier (an imported order history)

    version = training.train()

    assert version.stats["interactions"] == 2
    assert set(lists(version, "pop")[0]) == {first.id, backfilled.id}
