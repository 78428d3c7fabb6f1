"""Search's background work, each task idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from shop.search import behaviour, dictionaries, projection

MAX_BATCHES_PER_RUN = 20


@shared_task(acks_late=True)
def reindex_category(category_id: int) -> int:
    return projection.reindex_category(category_id)


@shared_task(acks_late=True)
def process_logs() -> int:
    """Fold new searches and interactions into the ranking signals (bounded per run; beat calls it again)."""
    processed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        taken = behaviour.process_pending()
        processed += taken
        if taken == 0:
            break
    return processed


@shared_task(acks_late=True)
def refresh_dictionaries() -> None:
    dictionaries.refresh()


@shared_task
def prune_logs() -> int:
    return behaviour.prune(settings.SEARCH_LOG_RETENTION_DAYS)
