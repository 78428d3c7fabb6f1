"""Inventory's Celery tasks."""

from celery import shared_task

from shop.inventory.holds import release_expired


@shared_task(acks_late=True)
def release_expired_holds() -> int:
    """Beat runs this every ``INVENTORY_SWEEP_INTERVAL_SECONDS``; idempotent (an
    already released hold is not selected again)."""
    return release_expired()
