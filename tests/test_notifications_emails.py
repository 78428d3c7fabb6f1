"""Customer emails: HTML and plain text, recorded once per event, sent once."""

from __future__ import annotations

from django.core import mail

from shop.core.models import OutboxEvent
from shop.core.tasks import apply_event
from shop.notifications import services as notifications
from shop.notifications.handlers import order_confirmation
from shop.notifications.models import Notification, StaffAlert
from shop.notifications.tasks import resend_pending, send_notification
from shop.orders import services as orders
from shop.orders.events import OrderCreated
from tests.factories_lifecycle import checkout, ship_everything, stock_up
from tests.factories_orders import place_order

CONFIRMATION = f"{order_confirmation.__module__}.{order_confirmation.__qualname__}"


def created_event(order_id: int) -> dict:
    row = OutboxEvent.objects.get(event_type="orders.OrderCreated", payload__order_id=order_id)
    return {
        "id": str(row.event_id),
        "type": row.event_type,
        "occurred_at": row.occurred_at.isoformat(),
        "payload": row.payload,
    }


def test_the_order_confirmation_is_sent_in_html_and_plain_text(lifecycle):
    order = place_order(email="ann@example.com")

    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == f"Your Shop order {order.number} is confirmed"
    assert "Product 1" in message.body
    assert "Total: INR 168.00" in message.body
    assert f"http://shop.test/accounts/orders/{order.order_id}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for part in ("<h1", "Thank you for your order", "INR 168.00"):
        assert part in html
    assert message.extra_headers["Message-ID"].startswith("<notification-")
    row = Notification.objects.get(kind="order_confirmation")
    assert (row.status, row.order_id, row.attempts) == ("sent", order.order_id, 1)


def test_a_redelivered_event_sends_no_second_email(lifecycle):
    order = place_order()
    envelope = created_event(order.order_id)
    mail.outbox.clear()

    # The relay resends the event: the consumer's dedup mark stops it...
    assert apply_event(CONFIRMATION, envelope) is False
    # ...and even a consumer that forgot it had run finds its (event, kind) row.
    event = OrderCreated.from_envelope(envelope)
    order_confirmation(event)

    assert mail.outbox == []
    assert Notification.objects.filter(kind="order_confirmation").count() == 1


def test_the_send_task_sends_a_recorded_email_once(lifecycle):
    place_order()
    row = Notification.objects.get(kind="order_confirmation")
    mail.outbox.clear()

    assert send_notification.apply(args=[row.id]).result is False
    assert mail.outbox == []


def test_a_failed_send_stays_pending_and_is_retried(lifecycle, settings):
    settings.EMAIL_BACKEND = "tests.test_notifications_emails.BrokenBackend"
    place_order()  # the send fails; a worker would retry it with backoff
    row = Notification.objects.get(kind="order_confirmation")
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SMTP is down" in row.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(id=row.id).update(created_at=row.created_at.replace(year=2020))
    assert resend_pending() == 1

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionRefusedError("SMTP is down")


def test_the_shipping_email_carries_the_tracking_link(lifecycle):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)], email="bob@example.com")
    mail.outbox.clear()

    (shipment,) = ship_everything(order)

    (message,) = [m for m in mail.outbox if "Shipped" in m.subject]
    assert message.to == ["bob@example.com"]
    assert shipment.tracking_number in message.body
    assert "shipped with Simex:" in message.body  # the carrier's name, not its codes
    assert f"http://shop.test/track/{shipment.tracking_number}/" in message.body
    assert f'href="http://shop.test/track/{shipment.tracking_number}/"' in message.alternatives[0][0]


def test_a_cancellation_email_says_nothing_was_charged(lifecycle):
    order = place_order()
    mail.outbox.clear()
    orders.cancel_order(order.order_id, actor="staff:1")

    (message,) = mail.outbox
    assert message.subject == f"Cancelled: your order {order.number}"
    assert "you have not been charged" in message.body


def test_staff_alerts_are_recorded_logged_and_emailed(lifecycle, settings, caplog):
    settings.NOTIFICATIONS_STAFF_EMAILS = ["ops@example.com", "lead@example.com"]

    notifications.alert_staff("capture_failed", "Parcel SHP-1 stopped", "Capture failed.", reference="SHP-1")

    alert = StaffAlert.objects.get()
    assert (alert.kind, alert.reference, alert.resolved_at) == ("capture_failed", "SHP-1", None)
    assert "staff alert capture_failed" in caplog.text
    (message,) = mail.outbox
    assert message.to == ["ops@example.com", "lead@example.com"]
    assert message.subject == "[Shop staff] Parcel SHP-1 stopped"
