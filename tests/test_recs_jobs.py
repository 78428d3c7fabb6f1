"""Scheduled jobs, the management command and the staff tools of the recommendations."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from shop.core.redis import get_redis
from shop.recs import cards, store, tasks, training
from shop.recs.locks import Busy
from shop.recs.models import ConsumableCategory, ModelVersion
from tests.factories import CategoryFactory
from tests.factories_recs import build_world, small_world_als  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_world_als")]


def test_beat_trains_nightly_refills_every_minute_flushes_views_and_prunes():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "shop.recs.tasks.train_model" in schedule
    assert schedule["shop.recs.tasks.ensure_loaded"] == 60.0
    assert schedule["shop.recs.tasks.flush_views"] == 5.0
    assert "shop.recs.tasks.prune_interactions" in schedule


def test_the_training_task_trains_serves_and_prunes(settings):
    settings.RECS_KEEP_VERSIONS = 1
    build_world()

    version_id = tasks.train_model.delay().get()

    assert store.read_pointer().version == version_id
    assert ModelVersion.objects.get(id=version_id).status == ModelVersion.Status.ACTIVE
    assert ModelVersion.objects.count() == 1


def test_the_training_task_skips_while_another_run_holds_the_lock(monkeypatch):
    def busy():
        raise Busy("held")

    monkeypatch.setattr(training, "train", busy)

    assert tasks.train_model.delay().get() is None


def test_the_command_trains_and_serves(capsys):
    world = build_world(activate=False)

    call_command("recs_train")

    newest = ModelVersion.objects.order_by("-id").first()
    assert newest.id != world.version.id
    assert store.read_pointer().version == newest.id
    assert f"v{newest.id} is now served." in capsys.readouterr().out


def test_the_command_can_train_without_serving():
    build_world(activate=False)

    call_command("recs_train", "--no-activate")

    assert store.read_pointer() is None


def test_the_command_rolls_back_and_refills(capsys):
    old = build_world().version
    call_command("recs_train")

    call_command("recs_train", "--activate", str(old.id))
    assert store.read_pointer().version == old.id

    get_redis().flushdb()
    call_command("recs_train", "--refill")
    assert store.read_pointer().version == old.id
    assert "refilled" in capsys.readouterr().out


@pytest.mark.parametrize(("version", "message"), [("999", "no version 999"), ("failed", "only ready or retired")])
def test_the_command_refuses_to_serve_a_missing_or_failed_version(version, message):
    if version == "failed":
        version = str(ModelVersion.objects.create(status=ModelVersion.Status.FAILED).id)

    with pytest.raises(CommandError, match=message):
        call_command("recs_train", "--activate", version)


def test_staff_mark_a_category_consumable_and_the_cards_follow(admin_client, django_capture_on_commit_callbacks):
    world = build_world()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/recs/consumablecategory/add/", {"category_id": world.tea.id, "note": "tea runs out"}
        )

    assert response.status_code == 302
    raw = get_redis().hget(cards.CARDS_KEY, world.kettle.id)
    assert cards.Card.from_json(world.kettle.id, raw).consumable


def test_staff_cannot_mark_an_unknown_category_consumable(admin_client):
    CategoryFactory()

    response = admin_client.post("/admin/recs/consumablecategory/add/", {"category_id": 987654, "note": ""})

    assert "There is no category with this id." in response.content.decode()
    assert not ConsumableCategory.objects.exists()


def test_staff_roll_back_to_an_older_version_from_the_admin(admin_client):
    old = build_world().version
    call_command("recs_train")

    response = admin_client.post(
        "/admin/recs/modelversion/",
        {"action": "activate", "_selected_action": [old.id], "index": 0, "select_across": 0},
        follow=True,
    )

    assert f"Now serving v{old.id}." in response.content.decode()
    assert store.read_pointer().version == old.id


def test_staff_can_read_the_interaction_log_but_not_edit_it(admin_client):
    build_world()

    assert admin_client.get("/admin/recs/interaction/").status_code == 200
    assert admin_client.get("/admin/recs/interaction/add/").status_code == 403
