"""The fraud gate runs here, off the request path, so posting a review stays fast."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from shop.reviews import services
from shop.reviews.models import Review, ReviewStatus

STALE_AFTER = timedelta(minutes=2)
REQUEUE_BATCH = 500


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def score_review(review_id: int, revision: int) -> str | None:
    """Idempotent: a decided, deleted or since-edited review is skipped."""
    return services.run_fraud_gate(review_id, revision)


@shared_task
def requeue_pending_reviews() -> int:
    """Re-send reviews still pending after a while (a lost message or a crashed worker).

    Bounded per run; the beat runs it every minute.
    """
    cutoff = timezone.now() - STALE_AFTER
    stale = list(
        Review.objects.filter(status=ReviewStatus.PENDING, submitted_at__lt=cutoff)
        .order_by("submitted_at")
        .values_list("id", "revision")[:REQUEUE_BATCH]
    )
    for review_id, revision in stale:
        score_review.delay(review_id, revision)
    return len(stale)
