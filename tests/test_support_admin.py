"""Staff in the admin: the queue with response times (filters, sorting, report), the ticket page
with its conversation and reply form, the order tools, and who may do what."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from shop.support import services
from shop.support.models import Message, Ticket, TicketAction
from tests.factories_lifecycle import amounts, delivered_order, make_customer, status, stock_up
from tests.factories_orders import place_order
from tests.factories_support import open_ticket, staff_member

LIST = "/admin/support/ticket/"


def change_url(ticket) -> str:
    return f"{LIST}{ticket.ticket_id}/change/"


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden fields a browser would send back with the change form (inline management forms)."""
    return dict(re.findall(r'<input type="hidden" name="((?:messages|actions)-[^"]+)" value="([^"]*)"', html))


def post_reply(client, ticket, **fields):
    html = client.get(change_url(ticket)).content.decode()
    data = {**hidden_inputs(html), "reply": "", **fields}
    return client.post(change_url(ticket), data)


def age(ticket, **delta) -> None:
    Ticket.objects.filter(id=ticket.ticket_id).update(created_at=timezone.now() - timedelta(**delta))


@pytest.fixture
def boss(client, db):
    user = make_customer("boss", is_staff=True)
    client.force_login(user)
    return user


# --- The queue ----------------------------------------------------------------------------------


def test_the_ticket_list_shows_and_sorts_by_response_times(client, boss):
    ann = make_customer("ann")
    slow, fast, unanswered = open_ticket(ann, body="slow"), open_ticket(ann, body="fast"), open_ticket(ann)
    age(slow, hours=30)
    age(fast, minutes=20)
    services.staff_reply(slow.ticket_id, staff_id=boss.id, staff_name="Boss", body="sorry")
    services.staff_reply(fast.ticket_id, staff_id=boss.id, staff_name="Boss", body="done")

    html = client.get(LIST, {"o": "8"}).content.decode()  # the first-response column, ascending

    assert "1 d 6 h" in html
    assert "20 min" in html
    assert html.index(f">{fast.ticket_id}<") < html.index(f">{slow.ticket_id}<")
    assert f">{unanswered.ticket_id}<" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"first_response": "none"}, {"unanswered"}),
        ({"first_response": "1h"}, {"fast"}),
        ({"first_response": "late"}, {"slow"}),
        ({"resolution": "open"}, {"unanswered", "fast"}),
        ({"resolution": "3d"}, {"slow"}),
        ({"status": "waiting_on_customer"}, {"fast"}),
        ({"category": "payment"}, {"slow"}),
    ],
)
def test_the_ticket_list_filters_on_response_times_status_and_category(client, boss, query, expected):
    ann = make_customer("ann")
    tickets = {
        "slow": services.open_ticket(user_id=ann.id, category="payment", subject="slow-one", body="a"),
        "fast": services.open_ticket(user_id=ann.id, category="other", subject="fast-one", body="b"),
        "unanswered": services.open_ticket(user_id=ann.id, category="other", subject="unanswered-one", body="c"),
    }
    age(tickets["slow"], hours=50)
    services.staff_reply(tickets["slow"].ticket_id, staff_id=boss.id, staff_name="Boss", body="x", resolve=True)
    services.staff_reply(tickets["fast"].ticket_id, staff_id=boss.id, staff_name="Boss", body="y")

    html = client.get(LIST, query).content.decode()

    assert {name for name in tickets if f"{name}-one" in html} == expected


def test_the_report_shows_averages_per_category(client, boss):
    ann = make_customer("ann")
    first = services.open_ticket(user_id=ann.id, category="payment", body="a")
    second = services.open_ticket(user_id=ann.id, category="payment", body="b")
    services.open_ticket(user_id=ann.id, category="return", body="c")
    age(first, hours=2)
    age(second, hours=4)
    for ticket in (first, second):
        services.staff_reply(ticket.ticket_id, staff_id=boss.id, staff_name="Boss", body="x", resolve=True)

    rows = {row.label: row for row in services.report(30)}
    html = client.get(f"{LIST}report/", {"days": "7"}).content.decode()

    payment = rows["Payment"]
    assert (payment.opened, payment.resolved, payment.awaiting_first_response) == (2, 2, 0)
    assert payment.first_response_label == "3 h 00 min"
    assert (rows["All tickets"].opened, rows["All tickets"].awaiting_first_response) == (3, 1)
    assert (rows["Return"].opened, rows["Return"].first_response_label) == (1, "—")
    assert rows["Damaged item"].opened == 0
    assert "Customer service: the last 7 days" in html
    assert "3 h 00 min" in html


# --- A ticket -----------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_conversation_with_notes_marked_and_escaped(client, boss):
    ticket = open_ticket(make_customer("ann"), body="<img src=x onerror=alert(1)>")
    services.staff_reply(ticket.ticket_id, staff_id=boss.id, staff_name="Boss", body="check fraud", internal=True)

    html = client.get(change_url(ticket)).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    assert "check fraud" in html
    assert "Conversation (internal notes are never shown to the customer)" in html
    assert 'name="reply"' in html


def test_staff_reply_from_the_admin_emails_the_customer_and_waits_on_them(client, boss, transactional_db):
    ticket = open_ticket(make_customer("ann"))
    mail.outbox.clear()

    response = post_reply(client, ticket, reply="We found your parcel.")

    assert response.status_code == 302
    assert response["Location"] == change_url(ticket)
    after = services.get_ticket(ticket.ticket_id)
    assert after.status == "waiting_on_customer"
    assert after.messages[-1].body == "We found your parcel."
    assert after.messages[-1].author_name == "Customer service"  # the staff member has no first name
    (email,) = mail.outbox
    assert "We found your parcel." in email.body
    page = client.get(change_url(ticket)).content.decode()
    assert "Reply sent: the customer gets it by email." in page


def test_an_internal_note_from_the_admin_sends_nothing(client, boss, transactional_db):
    ticket = open_ticket(make_customer("ann"))
    mail.outbox.clear()

    post_reply(client, ticket, reply="Called the carrier.", internal="on")

    assert mail.outbox == []
    assert Message.objects.filter(internal=True).get().body == "Called the carrier."
    assert services.get_ticket(ticket.ticket_id).status == "open"


def test_staff_resolve_from_the_form_or_the_list(client, boss):
    ann = make_customer("ann")
    one, two, three = open_ticket(ann), open_ticket(ann), open_ticket(ann)

    post_reply(client, one, resolve="on")
    client.post(LIST, {"action": "resolve_selected", "_selected_action": [two.ticket_id, three.ticket_id]})

    assert {services.get_ticket(t.ticket_id).status for t in (one, two, three)} == {"resolved"}


# --- Order tools --------------------------------------------------------------------------------


def tool_key(html: str, kind: str) -> str:
    form = html[html.index(f'id="act-{kind}"') :]
    return re.search(r'name="key" value="([^"]+)"', form).group(1)


def test_staff_refund_through_the_admin_and_a_double_submit_refunds_once(client, boss, lifecycle):
    stock_up(61, warehouse_id=1, quantity=3)
    customer = make_customer("ann")
    order = delivered_order(user_id=customer.id, lines=[(61, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    page = client.get(change_url(ticket)).content.decode()
    assert f"Resolve through the order {order.number}" in page
    assert "captured INR 168.00" in page
    form = {"key": tool_key(page, "refund"), "reason": "late", "amount": "25.50"}

    first = client.post(f"{LIST}{ticket.ticket_id}/act/refund/", form, follow=True)
    client.post(f"{LIST}{ticket.ticket_id}/act/refund/", form)

    assert "Refund: Refunded INR 25.50" in first.content.decode()
    assert amounts(order)[2] == Decimal("25.50")
    (action,) = TicketAction.objects.all()
    assert (action.staff_id, action.reason, action.status) == (boss.id, "late", "succeeded")
    assert "late" in client.get(change_url(ticket)).content.decode()  # the audit inline


def test_a_refused_action_in_the_admin_says_why_and_changes_nothing(client, boss, lifecycle):
    stock_up(62, warehouse_id=1, quantity=3)
    customer = make_customer("ann")
    order = delivered_order(user_id=customer.id, lines=[(62, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    page = client.get(change_url(ticket)).content.decode()

    response = client.post(
        f"{LIST}{ticket.ticket_id}/act/cancel_order/",
        {"key": tool_key(page, "cancel_order"), "reason": "asked"},
        follow=True,
    )

    assert "Cancel the order: refused, nothing changed: The order is delivered" in response.content.decode()
    assert status(order) == "delivered"


def test_a_reship_form_takes_quantities_per_order_line(client, boss, lifecycle):
    stock_up(63, warehouse_id=1, quantity=5)
    customer = make_customer("ann")
    order = delivered_order(user_id=customer.id, lines=[(63, 2)])
    ticket = open_ticket(customer, order_id=order.order_id)
    page = client.get(change_url(ticket)).content.decode()
    line = order.lines[0].line_id

    client.post(
        f"{LIST}{ticket.ticket_id}/act/reship/",
        {"key": tool_key(page, "reship"), "reason": "crushed", f"line_{line}": "1"},
    )
    empty = client.post(
        f"{LIST}{ticket.ticket_id}/act/reship/",
        {"key": "another", "reason": "crushed", f"line_{line}": "0"},
        follow=True,
    )

    assert TicketAction.objects.get().reference.startswith("SHP-")
    assert "Choose at least one item" in empty.content.decode()


def test_bad_action_input_in_the_admin_is_a_message_and_stores_nothing(client, boss):
    ann = make_customer("ann")
    ticket = open_ticket(ann, order_id=place_order(user_id=ann.id).order_id)

    response = client.post(
        f"{LIST}{ticket.ticket_id}/act/refund/", {"key": "k", "reason": "", "amount": "-3"}, follow=True
    )

    html = response.content.decode()
    assert "Reason (kept in the audit): This field is required." in html
    assert not TicketAction.objects.exists()


# --- Permissions --------------------------------------------------------------------------------


def test_customers_and_anonymous_visitors_cannot_reach_the_ticket_admin(client, db):
    ticket = open_ticket(make_customer("ann"))
    assert client.get(LIST).status_code == 302
    client.force_login(make_customer("bob"))

    for url in (LIST, change_url(ticket), f"{LIST}report/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert client.post(f"{LIST}{ticket.ticket_id}/act/refund/", {"key": "k", "reason": "r"}).status_code == 302
    assert not TicketAction.objects.exists()


def test_staff_who_may_only_view_tickets_cannot_reply(client, db):
    ticket = open_ticket(make_customer("ann"))
    client.force_login(staff_member("support.view_ticket"))

    page = client.get(change_url(ticket))
    refused = client.post(change_url(ticket), {"reply": "hello"})

    assert page.status_code == 200
    assert 'name="reply"' not in page.content.decode()
    assert refused.status_code == 403
    assert Message.objects.count() == 1


def test_staff_without_the_order_permission_reply_but_cannot_act_on_orders(client, lifecycle):
    stock_up(64, warehouse_id=1, quantity=3)
    customer = make_customer("ann")
    order = delivered_order(user_id=customer.id, lines=[(64, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    client.force_login(staff_member("support.view_ticket", "support.change_ticket"))

    page = client.get(change_url(ticket)).content.decode()
    refused = client.post(f"{LIST}{ticket.ticket_id}/act/refund/", {"key": "k", "reason": "r"})
    replied = post_reply(client, ticket, reply="Checking with the warehouse.")

    assert "Resolve through the order" not in page
    assert refused.status_code == 403
    assert not TicketAction.objects.exists()
    assert amounts(order)[2] == 0
    assert replied.status_code == 302
    assert services.get_ticket(ticket.ticket_id).status == "waiting_on_customer"


def test_staff_with_the_order_permission_can_act(client, lifecycle):
    stock_up(65, warehouse_id=1, quantity=3)
    customer = make_customer("ann")
    order = delivered_order(user_id=customer.id, lines=[(65, 1)])
    ticket = open_ticket(customer, order_id=order.order_id)
    client.force_login(staff_member("support.view_ticket", "support.change_ticket", "support.act_on_orders"))
    page = client.get(change_url(ticket)).content.decode()

    client.post(f"{LIST}{ticket.ticket_id}/act/refund/", {"key": tool_key(page, "refund"), "reason": "goodwill"})

    assert amounts(order)[2] == Decimal("168.00")


def test_nobody_adds_or_deletes_tickets_in_the_admin(client, boss):
    ticket = open_ticket(make_customer("ann"))

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{ticket.ticket_id}/delete/").status_code == 403
