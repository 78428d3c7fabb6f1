"""Inventory's Celery tasks."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from shop.inventory.holds import prune_closed, release_expired


@shared_task(acks_late=True)
def release_expired_holds() -> int:
    """Beat runs this every ``INVENTORY_SWEEP_INTERVAL_SECONDS``; idempotent (an
    already released hold is not selected again)."""
    return release_expired()


@shared_task
def prune_closed_holds() -> int:
    """Daily: forget holds closed more than ``INVENTORY_HOLD_RETENTION_DAYS`` ago."""
    return prune_closed(timedelta(days=settings.INVENTORY_HOLD_RETENTION_DAYS))
