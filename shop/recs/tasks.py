"""Celery tasks of the recommendations (scheduled in ``CELERY_BEAT_SCHEDULE``). Each is idempotent:
running one twice does the same work again or finds nothing to do."""

from __future__ import annotations

import logging

from celery import shared_task

from shop.recs import cards, interactions, publishing, training
from shop.recs.locks import Busy

log = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=3 * 3600)
def train_model() -> int | None:
    """Nightly: train, activate the new version (PostgreSQL, then Redis), drop old versions."""
    try:
        version = training.train()
    except Busy:
        log.info("recs: a training run is already in progress; skipping")
        return None
    publishing.activate(version.id)
    publishing.prune_versions()
    return version.id


@shared_task
def ensure_loaded() -> str:
    """Every minute (and when a lookup finds no model): refill Redis from PostgreSQL if it lost the model."""
    result = publishing.ensure_loaded()
    if result not in ("up to date", "no active version"):
        log.info("recs: ensure_loaded: %s", result)
    return result


@shared_task
def flush_views() -> int:
    return interactions.flush_views()


@shared_task
def prune_interactions() -> int:
    deleted = interactions.prune()
    log.info("recs: pruned %d interactions past retention", deleted)
    return deleted


@shared_task
def rebuild_cards() -> int:
    return cards.rebuild_cards()


@shared_task(acks_late=True)
def refresh_cards(product_ids: list[int]) -> int:
    return cards.refresh_cards(product_ids)
