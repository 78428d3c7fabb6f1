"""The conversation's rules: statuses, response-time stamps, reopening, internal notes, events,
bounded input that stores nothing when refused, and double submits that act once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.core.keyset import InvalidCursor
from shop.core.models import OutboxEvent
from shop.support import services
from shop.support.models import Message, Ticket
from tests.concurrency import run_concurrently
from tests.factories_lifecycle import make_customer
from tests.factories_orders import place_order
from tests.factories_support import open_ticket, support_events

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int]:
    return Ticket.objects.count(), Message.objects.count()


def support_events_count() -> int:
    return OutboxEvent.objects.filter(event_type__startswith="support.").count()


def test_a_customer_opens_a_ticket_about_their_order_with_a_first_message():
    ann = make_customer("ann")
    order = place_order(user_id=ann.id)

    ticket = services.open_ticket(
        user_id=ann.id, category="where_is_my_order", body="It has been a week.", order_id=order.order_id
    )

    assert (ticket.status, ticket.category, ticket.order_id) == ("open", "where_is_my_order", order.order_id)
    assert ticket.order_number == order.number
    assert ticket.subject == f"Where is my order? (order {order.number})"
    assert ticket.email == "ann@example.com"
    assert [(m.author, m.body) for m in ticket.messages] == [("customer", "It has been a week.")]
    assert ticket.waiting_since == ticket.created_at
    assert support_events(ticket.ticket_id) == [
        (
            "support.TicketOpened",
            {
                "ticket_id": ticket.ticket_id,
                "user_id": ann.id,
                "order_id": order.order_id,
                "category": "where_is_my_order",
            },
        )
    ]


def test_a_general_ticket_needs_no_order_and_keeps_its_subject():
    ann = make_customer("ann")

    ticket = services.open_ticket(user_id=ann.id, category="payment", subject="Invoice please", body="Hi")

    assert (ticket.order_id, ticket.order_number, ticket.subject) == (None, "", "Invoice please")


def test_a_ticket_on_someone_elses_order_is_not_found_and_stores_nothing():
    ann, bob = make_customer("ann"), make_customer("bob")
    bobs = place_order(user_id=bob.id)

    with pytest.raises(services.OrderNotFound):
        services.open_ticket(user_id=ann.id, category="other", body="Hi", order_id=bobs.order_id)
    with pytest.raises(services.OrderNotFound):
        services.open_ticket(user_id=ann.id, category="other", body="Hi", order_id=10**18 + 5)

    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "lost_cat"}, "category"),
        ({"category": ""}, "category"),
        ({"body": ""}, "body"),
        ({"body": "   \n\t "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": None}, "body"),
        ({"subject": "s" * 201}, "subject"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_stores_nothing(fields, field):
    ann = make_customer("ann")
    data = {"category": "other", "body": "Help", **fields}

    with pytest.raises(services.InvalidInput) as refused:
        services.open_ticket(user_id=ann.id, **data)

    assert field in refused.value.fields
    assert stored() == (0, 0)
    assert support_events_count() == 0


def test_a_message_of_exactly_the_limit_is_accepted_and_nul_characters_are_dropped():
    ann = make_customer("ann")

    ticket = services.open_ticket(user_id=ann.id, category="other", body="y" * 4999 + "\x00z")

    assert ticket.messages[0].body == "y" * 4999 + "z"


def test_staff_reply_stamps_the_first_response_and_waits_on_the_customer():
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    Ticket.objects.filter(id=ticket.ticket_id).update(created_at=timezone.now() - timedelta(hours=3))

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Looking into it.")
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Found it.")

    after = services.get_ticket(ticket.ticket_id)
    assert after.status == "waiting_on_customer"
    assert after.waiting_since is None
    assert timedelta(hours=3) <= after.first_response_time < timedelta(hours=3, minutes=1)
    assert after.first_response_at < after.messages[-1].created_at  # the first reply counts, not the last
    assert [e for e, _ in support_events(ticket.ticket_id)][1:] == ["support.TicketReplied", "support.TicketReplied"]
    assert support_events(ticket.ticket_id)[1][1]["author"] == "staff"


def test_an_internal_note_is_hidden_from_the_customer_and_changes_no_status_or_stamp():
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Customer is a VIP", internal=True)

    assert [m.body for m in services.get_ticket(ticket.ticket_id, user_id=ann.id).messages] == ["Help me, please."]
    staff_view = services.get_ticket(ticket.ticket_id, include_internal=True)
    assert [m.internal for m in staff_view.messages] == [False, True]
    assert (staff_view.status, staff_view.first_response_at) == ("open", None)
    assert staff_view.waiting_since is not None
    assert [e for e, _ in support_events(ticket.ticket_id)] == ["support.TicketOpened"]


def test_resolving_stamps_the_time_to_resolution_and_a_customer_message_reopens_it():
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    Ticket.objects.filter(id=ticket.ticket_id).update(created_at=timezone.now() - timedelta(days=2))
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="Refunded.", resolve=True)

    resolved = services.get_ticket(ticket.ticket_id)
    assert resolved.status == "resolved"
    assert timedelta(days=2) <= resolved.resolution_time < timedelta(days=2, minutes=1)

    reopened = services.customer_reply(ticket.ticket_id, user_id=ann.id, body="Not arrived yet!")

    assert (reopened.status, reopened.resolved_at, reopened.resolution_time) == ("open", None, None)
    assert reopened.waiting_since is not None
    assert Ticket.objects.get(id=ticket.ticket_id).reopened_count == 1
    events = support_events(ticket.ticket_id)
    assert [e for e, _ in events] == [
        "support.TicketOpened",
        "support.TicketReplied",
        "support.TicketResolved",
        "support.TicketReplied",
    ]
    assert events[2][1]["by"] == "staff"
    assert (events[3][1]["author"], events[3][1]["reopened"]) == ("customer", True)


def test_a_customer_resolves_their_ticket_once():
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    services.customer_resolve(ticket.ticket_id, user_id=ann.id)
    again = services.customer_resolve(ticket.ticket_id, user_id=ann.id)

    assert again.status == "resolved"
    assert [p["by"] for e, p in support_events(ticket.ticket_id) if e == "support.TicketResolved"] == ["customer"]


def test_a_staff_reply_keeps_a_resolved_ticket_resolved():
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    services.staff_resolve(ticket.ticket_id)

    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="PS: here is your invoice.")

    assert services.get_ticket(ticket.ticket_id).status == "resolved"


def test_someone_elses_ticket_cannot_be_read_answered_or_resolved():
    ann, bob = make_customer("ann"), make_customer("bob")
    ticket = open_ticket(ann)

    assert services.get_ticket(ticket.ticket_id, user_id=bob.id) is None
    with pytest.raises(services.TicketNotFound):
        services.customer_reply(ticket.ticket_id, user_id=bob.id, body="Mine now")
    with pytest.raises(services.TicketNotFound):
        services.customer_resolve(ticket.ticket_id, user_id=bob.id)

    assert Message.objects.count() == 1
    assert services.get_ticket(ticket.ticket_id).status == "open"


def test_a_full_conversation_refuses_more_customer_messages():
    ann = make_customer("ann")
    ticket = open_ticket(ann)
    Ticket.objects.filter(id=ticket.ticket_id).update(message_count=services.MAX_MESSAGES)

    with pytest.raises(services.TicketFull):
        services.customer_reply(ticket.ticket_id, user_id=ann.id, body="One more")

    assert Message.objects.count() == 1


def test_a_double_submitted_ticket_or_reply_is_stored_once():
    ann = make_customer("ann")

    first = services.open_ticket(user_id=ann.id, category="other", body="Hi", client_key="k-1")
    second = services.open_ticket(user_id=ann.id, category="other", body="Hi", client_key="k-1")
    services.customer_reply(first.ticket_id, user_id=ann.id, body="More", client_key="k-2")
    replayed = services.customer_reply(first.ticket_id, user_id=ann.id, body="More", client_key="k-2")

    assert (second.ticket_id, second.replayed, first.replayed) == (first.ticket_id, True, False)
    assert replayed.replayed
    assert stored() == (1, 2)


def test_concurrent_double_submits_open_one_ticket(transactional_db):
    ann = make_customer("ann")

    tickets = run_concurrently(
        4, lambda _i: services.open_ticket(user_id=ann.id, category="other", body="Hi", client_key="same")
    )

    assert len({t.ticket_id for t in tickets}) == 1
    assert stored() == (1, 1)
    assert support_events_count() == 1


def test_concurrent_replies_are_all_kept_and_counted(transactional_db):
    ann = make_customer("ann")
    ticket = open_ticket(ann)

    run_concurrently(4, lambda i: services.customer_reply(ticket.ticket_id, user_id=ann.id, body=f"reply {i}"))

    assert services.get_ticket(ticket.ticket_id).message_count == 5
    assert Message.objects.filter(ticket_id=ticket.ticket_id).count() == 5


def test_my_tickets_come_in_keyset_pages_most_recent_activity_first():
    ann, bob = make_customer("ann"), make_customer("bob")
    tickets = [open_ticket(ann, body=f"ticket {i}") for i in range(5)]
    open_ticket(bob)
    services.customer_reply(tickets[0].ticket_id, user_id=ann.id, body="bump")

    first = services.tickets_for_user(ann.id, size=3)
    second = services.tickets_for_user(ann.id, cursor=first.next_cursor, size=3)

    ids = [t.ticket_id for t in first.items + second.items]
    assert ids == [tickets[0].ticket_id] + [t.ticket_id for t in reversed(tickets[1:])]
    assert second.next_cursor is None
    with pytest.raises(InvalidCursor):
        services.tickets_for_user(ann.id, cursor="garbage")
