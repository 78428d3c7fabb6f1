"""Catalog events reach the recommendations through the real outbox relay and a real worker."""

from __future__ import annotations

import pytest

from shop.catalog import services as catalog
from shop.recs import serving
from shop.recs.context import Visitor
from tests.conftest import wait_until
from tests.factories_recs import build_world, small_world_als  # noqa: F401

pytestmark = pytest.mark.usefixtures("small_world_als")


@pytest.mark.worker
def test_a_product_going_out_of_stock_leaves_every_list_via_the_worker(celery_worker):
    world = build_world()
    assert world.kettle.id in {c.product_id for c in serving.recommended_for(Visitor(user_id=1)).items}

    catalog.set_availability(world.kettle.id, "out_of_stock")

    wait_until(
        lambda: world.kettle.id not in {c.product_id for c in serving.recommended_for(Visitor(user_id=1)).items},
        message="the kettle to leave customer 1's recommendations",
    )
    assert world.kettle.id not in {c.product_id for c in serving.also_bought(world.teapot.id, Visitor()).items}


@pytest.mark.worker
def test_a_renamed_product_is_shown_with_its_new_name_without_retraining(celery_worker):
    world = build_world()

    catalog.update_product(world.kettle.id, name="Electric Kettle")

    wait_until(
        lambda: any(c.name == "Electric Kettle" for c in serving.recommended_for(Visitor(user_id=1)).items),
        message="the new name in the card",
    )
