"""With a real Celery worker and beat: an expired hold is released within seconds, and the
release reaches the catalog's availability through the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from shop.catalog.handlers import project_availability
from shop.catalog.models import Product
from shop.celery import app as celery_app
from shop.core.models import OutboxEvent, ProcessedEvent
from shop.inventory import services
from shop.inventory.models import Hold
from shop.inventory.services import Line
from tests.conftest import OUTPUT_DIR, WorkerProcess, wait_until
from tests.factories import ProductFactory
from tests.factories_inventory import WarehouseFactory

CONSUMER = f"{project_availability.__module__}.{project_availability.__qualname__}"


@pytest.fixture
def worker_with_beat(transactional_db, tmp_path) -> Iterator[WorkerProcess]:
    """A worker with an embedded beat, so the sweeper runs on its real schedule."""
    worker = WorkerProcess(connection.settings_dict["NAME"], OUTPUT_DIR / "celery-worker-beat.log")
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()
        worker.start("--beat", "--schedule", str(tmp_path / "beat-schedule"))
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.mark.worker
def test_the_beat_sweeper_releases_an_expired_hold_within_seconds(worker_with_beat):
    product = ProductFactory(skus=[{"code": "HOT"}])
    sku = product.skus.get()
    services.receive(sku.id, WarehouseFactory().id, 1, reason="delivery")

    held = services.reserve("order-1", [Line(sku.id, 1)], timedelta(seconds=1))
    hold = wait_until(
        lambda: Hold.objects.filter(reference="order-1", status="expired").first(),
        timeout=30,
        interval=0.2,
        message="the sweeper to release the hold",
    )

    assert hold.closed_at - held.expires_at < timedelta(seconds=2 * settings.INVENTORY_SWEEP_INTERVAL_SECONDS + 1)
    assert services.commit("order-1").error == "expired"
    assert services.stock_of([sku.id])[sku.id].available == 1
    released = OutboxEvent.objects.get(event_type="inventory.StockReleased")
    assert released.payload["reason"] == "expired"
    wait_until(
        lambda: ProcessedEvent.objects.filter(event_id=released.event_id, consumer=CONSUMER).exists(),
        message="the catalog to apply the release",
    )
    assert Product.objects.get(id=product.id).availability == "low_stock"
