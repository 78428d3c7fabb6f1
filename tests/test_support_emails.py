"""The customer gets an email (HTML and text) on each staff reply, once, and never for notes."""

from __future__ import annotations

import pytest
from django.core import mail

from shop.core.models import OutboxEvent
from shop.core.tasks import apply_event
from shop.notifications.handlers import support_reply
from shop.notifications.models import Notification
from shop.support import services
from shop.support.events import TicketReplied
from tests.conftest import wait_until
from tests.factories_lifecycle import make_customer
from tests.factories_orders import place_order
from tests.factories_support import open_ticket

CONSUMER = f"{support_reply.__module__}.{support_reply.__qualname__}"


@pytest.fixture
def emails(transactional_db, settings):
    """Committed transactions, so the outbox relays (eagerly) after commit, as in production."""
    settings.SITE_URL = "http://shop.test"
    mail.outbox.clear()
    return mail.outbox


def reply_envelope(message_id: int) -> dict:
    row = OutboxEvent.objects.get(event_type="support.TicketReplied", payload__message_id=message_id)
    return {
        "id": str(row.event_id),
        "type": row.event_type,
        "occurred_at": row.occurred_at.isoformat(),
        "payload": row.payload,
    }


def test_each_staff_reply_emails_the_customer_in_html_and_text(emails):
    ann = make_customer("ann")
    order = place_order(user_id=ann.id)
    ticket = open_ticket(ann, order_id=order.order_id, category="damaged_item")
    emails.clear()  # the order confirmation

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="We are sending a new one.\nSorry!")
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="It has shipped.")

    first, second = emails
    assert first.to == ["ann@example.com"]
    assert first.subject == f"Re: Damaged item (order {order.number}) [ticket #{ticket.ticket_id}]"
    assert "We are sending a new one.\nSorry!" in first.body
    assert f"http://shop.test/accounts/support/{ticket.ticket_id}/" in first.body
    assert "Priya from our customer service" in first.body
    html, mimetype = first.alternatives[0]
    assert mimetype == "text/html"
    assert "We are sending a new one." in html
    assert "It has shipped." in second.body
    rows = Notification.objects.filter(kind="support_reply")
    assert [(n.status, n.order_id) for n in rows] == [("sent", order.order_id)] * 2


def test_html_in_a_staff_reply_is_escaped_in_the_html_email(emails):
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="<b>bold</b> <script>x()</script>")

    (message,) = emails
    html = message.alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<b>bold</b> <script>x()</script>" in message.body  # plain text is plain


def test_a_redelivered_reply_event_sends_no_second_email(emails):
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    message = services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Done.")
    assert len(emails) == 1
    envelope = reply_envelope(message.message_id)

    # The relay sends the event again: the consumer's dedup mark stops it...
    assert apply_event(CONSUMER, envelope) is False
    # ...and a consumer that forgot it had run finds its (event, kind) row.
    support_reply(TicketReplied.from_envelope(envelope))

    assert len(emails) == 1
    assert Notification.objects.filter(kind="support_reply").count() == 1


def test_internal_notes_and_customer_messages_send_no_email(emails):
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="VIP", internal=True)
    services.customer_reply(ticket.ticket_id, user_id=ann.id, body="Any news?")
    services.customer_resolve(ticket.ticket_id, user_id=ann.id)

    assert emails == []
    assert not Notification.objects.filter(kind="support_reply").exists()


def test_the_email_goes_to_the_customers_current_address(emails):
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    ann.email = "ann.new@example.com"
    ann.save(update_fields=["email"])

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Done.")

    assert emails[0].to == ["ann.new@example.com"]


@pytest.mark.worker
def test_a_staff_reply_reaches_the_customer_through_a_real_worker(celery_worker):
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="On its way.")

    wait_until(
        lambda: Notification.objects.filter(kind="support_reply", status="sent").exists(),
        timeout=30,
        message="the worker to relay the event and send the email",
    )
    (row,) = Notification.objects.filter(kind="support_reply")
    assert row.recipients == ["ann@example.com"]
    assert "On its way." in row.body_text
