"""Sending recorded emails (idempotent: a sent row is not sent again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from shop.notifications import services
from shop.notifications.models import Notification, Status

MAX_ATTEMPTS = 8


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def send_notification(self: Any, notification_id: int) -> bool:
    try:
        return services.send(notification_id)
    except Exception as exc:
        if self.request.retries >= MAX_ATTEMPTS:
            Notification.objects.filter(id=notification_id, status=Status.PENDING).update(status=Status.FAILED)
            raise
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc


@shared_task
def resend_pending(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Emails still pending a while after they were recorded lost their task: send them (beat)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(status=Status.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)
