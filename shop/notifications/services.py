"""The notifications domain's published interface: customer emails and staff alerts.

Emails are recorded, then sent: :func:`record` inserts one row per (event, kind) in the
caller's transaction and, after commit, a task sends it. A redelivered event finds its
row and sends nothing; the send task marks the row sent under its row lock, so two
copies of the task send once. (A worker dying between the SMTP answer and the commit
can still send twice: each email carries a stable Message-ID, so mail clients fold
such a duplicate.)
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from shop.notifications.models import Kind, Notification, StaffAlert, Status

log = logging.getLogger(__name__)

__all__ = ["Kind", "NotificationInfo", "alert_staff", "notifications_for_order", "record", "send"]


@dataclass(frozen=True)
class NotificationInfo:
    kind: str
    recipients: list[str]
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None


def record(
    event_id: uuid.UUID, kind: str, recipients: list[str], context: dict[str, Any], *, order_id: int | None = None
) -> bool:
    """Render and record the email of ``kind`` for this event; True if recorded now (False: it
    was already, nothing more happens). It is sent after the caller's transaction commits."""
    from shop.notifications.tasks import send_notification

    context = {"site_url": settings.SITE_URL, "store_name": settings.NOTIFICATIONS_STORE_NAME, **context}
    subject = " ".join(render_to_string(f"notifications/email/{kind}_subject.txt", context).split())
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                event_id=event_id,
                kind=kind,
                order_id=order_id,
                recipients=recipients,
                subject=subject[:300],
                body_text=render_to_string(f"notifications/email/{kind}.txt", context),
                body_html=render_to_string(f"notifications/email/{kind}.html", context),
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: send_notification.delay(notification.id))
    return True


def send(notification_id: int) -> bool:
    """Send a recorded email unless it was sent; True if sent now. Errors propagate (retry)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(id=notification_id)
        if notification.status == Status.SENT:
            return False
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=notification.recipients,
            headers={
                "Message-ID": _message_id(notification),
                "X-Shop-Notification": f"{notification.kind}:{notification.order_id or ''}",
            },
        )
        message.attach_alternative(notification.body_html, "text/html")
        try:
            message.send()
        except Exception as error:
            failure = error
        else:
            notification.status = Status.SENT
            notification.sent_at = timezone.now()
            notification.attempts += 1
            notification.error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "error"])
            return True
    Notification.objects.filter(id=notification_id).update(attempts=F("attempts") + 1, error=repr(failure)[:2000])
    raise failure


def _message_id(notification: Notification) -> str:
    """Stable per email, so a rare second send is recognisably the same message."""
    return f"<notification-{notification.id}.{notification.event_id}@{settings.NOTIFICATIONS_DOMAIN}>"


def alert_staff(kind: str, subject: str, message: str, *, reference: str = "") -> None:
    """Tell staff something needs them: an alert in the admin, an error in the log, an email."""
    log.error("staff alert %s (%s): %s. %s", kind, reference, subject, message)
    with transaction.atomic():
        alert = StaffAlert.objects.create(kind=kind, subject=subject[:300], message=message, reference=reference)
        record(
            uuid.uuid4(),  # an alert is raised once; its email is recorded with it
            Kind.STAFF_ALERT,
            list(settings.NOTIFICATIONS_STAFF_EMAILS),
            {"alert": alert},
        )


def notifications_for_order(order_id: int) -> list[NotificationInfo]:
    rows = Notification.objects.filter(order_id=order_id).order_by("created_at", "id")[:100]
    return [NotificationInfo(n.kind, n.recipients, n.subject, n.status, n.created_at, n.sent_at) for n in rows]
