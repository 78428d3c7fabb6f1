"""Model versions in PostgreSQL and their serving copy in Redis: atomic switch, refill, rollback, clean-up."""

from __future__ import annotations

import threading
import time

import pytest

from shop.core.redis import get_redis
from shop.recs import cards, context, publishing, serving, store, training
from shop.recs.context import Visitor
from shop.recs.models import Interaction, ModelVersion, RecList
from tests.factories import ProductFactory
from tests.factories_recs import InteractionFactory, build_world, small_world_als  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_world_als")]


def served(user_id: int = 1) -> list[int]:
    return [card.product_id for card in serving.recommended_for(Visitor(user_id=user_id), limit=3).items]


def test_activating_a_version_marks_it_active_and_points_redis_at_it():
    world = build_world(activate=False)
    assert store.read_pointer() is None

    publishing.activate(world.version.id)

    world.version.refresh_from_db()
    assert world.version.status == ModelVersion.Status.ACTIVE
    assert store.read_pointer().version == world.version.id
    assert served()[0] == world.kettle.id


def test_a_new_version_retires_the_old_one_whose_keys_expire_after_a_grace_period():
    old = build_world().version
    new = training.train()

    publishing.activate(new.id)

    old.refresh_from_db()
    assert old.status == ModelVersion.Status.RETIRED
    assert store.read_pointer().version == new.id
    ttl = get_redis().ttl(store.list_key(old.id, "user"))
    assert 0 < ttl <= store.OLD_VERSION_GRACE_SECONDS  # readers holding the old pointer still finish
    assert ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).count() == 1


def test_versions_before_the_previous_one_are_removed_from_redis():
    first = build_world().version
    second = training.train()
    publishing.activate(second.id)
    third = training.train()

    publishing.activate(third.id)

    assert not get_redis().exists(store.list_key(first.id, "user"))
    assert get_redis().exists(store.list_key(third.id, "user"))


@pytest.mark.django_db(transaction=True)
def test_readers_never_see_a_half_written_version():
    """A reader thread looks up continuously while a new version is written slowly and switched:
    every answer is wholly the old version's or wholly the new one's."""
    products = [ProductFactory() for _ in range(6)]
    cards.rebuild_cards()
    old_ids, new_ids = [p.id for p in products[:3]], [p.id for p in products[3:]]
    users = range(1, 201)
    store.write_lists(1, [("pop", 0, old_ids), *(("user", u, old_ids) for u in users)])
    store.switch(1, time.time())
    answers: list[tuple[int | None, tuple[int, ...]]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            for user in (1, 100, 200):
                recs = serving.recommended_for(Visitor(user_id=user), limit=3)
                answers.append((recs.version, tuple(sorted(c.product_id for c in recs.items))))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for user in users:  # one HSET at a time: as slow as a big version
            store.write_lists(2, [("user", user, new_ids)])
        store.write_lists(2, [("pop", 0, new_ids)])
        store.switch(2, time.time())
        time.sleep(0.1)
    finally:
        done.set()
        thread.join(10)

    assert set(answers) == {(1, tuple(sorted(old_ids))), (2, tuple(sorted(new_ids)))}


def test_a_redis_restart_is_refilled_from_postgres_without_retraining():
    world = build_world()
    get_redis().flushdb()

    result = publishing.ensure_loaded()

    assert result == "refilled"
    assert ModelVersion.objects.count() == 1
    assert store.read_pointer().version == world.version.id
    assert served()[0] == world.kettle.id
    assert publishing.ensure_loaded() == "up to date"


def test_a_refill_reads_the_lists_in_bounded_batches(monkeypatch):
    world = build_world()
    get_redis().flushdb()
    monkeypatch.setattr(publishing, "READ_BATCH", 2)

    publishing.ensure_loaded()

    assert get_redis().hlen(store.list_key(world.version.id, "user")) == 12


def test_a_refill_replays_the_live_context_recorded_since_training():
    world = build_world()
    InteractionFactory(
        kind=Interaction.Kind.PURCHASE, product_id=world.kettle.id, user_id=1, occurred_at=world.trained_at
    )
    get_redis().flushdb()

    publishing.ensure_loaded()

    assert world.kettle.id not in served()


def test_a_partly_evicted_copy_is_refilled():
    world = build_world()
    get_redis().delete(store.list_key(world.version.id, "pop"))

    assert publishing.ensure_loaded() == "refilled"
    assert store.has_lists(world.version.id)


def test_lost_product_cards_are_rebuilt():
    build_world()
    get_redis().delete(cards.CARDS_KEY)

    assert publishing.ensure_loaded() == "cards rebuilt"
    assert served()


def test_nothing_is_loaded_before_the_first_training():
    assert publishing.ensure_loaded() == "no active version"


def test_an_older_version_can_be_served_again_to_roll_back():
    old = build_world().version
    publishing.activate(training.train().id)

    publishing.activate(old.id)

    assert store.read_pointer().version == old.id
    assert ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE) == old


def test_a_failed_version_cannot_be_activated():
    failed = ModelVersion.objects.create(status=ModelVersion.Status.FAILED)

    with pytest.raises(ValueError, match="failed"):
        publishing.activate(failed.id)


def test_pruning_keeps_the_active_version_and_the_newest_others(settings):
    settings.RECS_KEEP_VERSIONS = 2
    active = build_world().version
    newer = [training.train() for _ in range(3)]

    publishing.prune_versions()

    assert set(ModelVersion.objects.values_list("id", flat=True)) == {active.id, newer[-1].id, newer[-2].id}
    assert set(RecList.objects.values_list("version_id", flat=True)) == {active.id, newer[-1].id, newer[-2].id}


def test_live_context_survives_only_for_its_window(settings):
    """Just-bought entries older than the window are trimmed when the next purchase is noted."""
    settings.RECS_JUST_BOUGHT_DAYS = 1
    product = ProductFactory()
    visitor = Visitor(user_id=7)
    pipe = get_redis().pipeline()
    context.queue_note(pipe, visitor, context.PURCHASE, product.id, time.time() - 2 * 86400)
    context.queue_note(pipe, visitor, context.PURCHASE, product.id + 1)
    pipe.execute()

    pipe = get_redis().pipeline()
    context.queue_read(pipe, visitor)
    live = context.parse_read(pipe.execute())

    assert live.bought == {product.id + 1}
