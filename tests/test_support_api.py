"""REST API v1 for a customer's tickets: list (keyset), open, read, reply, resolve; refusals;
rate limits."""

from __future__ import annotations

import pytest

from shop.support import services
from shop.support.models import Message, Ticket
from tests.factories_lifecycle import make_customer
from tests.factories_orders import place_order
from tests.factories_support import open_ticket

pytestmark = pytest.mark.django_db
TICKETS = "/api/v1/support/tickets/"


@pytest.fixture
def ann(client):
    user = make_customer("ann")
    client.force_login(user)
    return user


def post(client, url: str, data: object, **headers: str):
    return client.post(url, data, content_type="application/json", headers=headers)


def stored() -> tuple[int, int]:
    return Ticket.objects.count(), Message.objects.count()


def test_a_customer_opens_a_ticket_about_an_order_and_reads_it_back(client, ann):
    order = place_order(user_id=ann.id)

    response = post(client, TICKETS, {"category": "damaged_item", "body": "Cracked screen", "order_id": order.order_id})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["category"], body["order_number"]) == ("open", "damaged_item", order.number)
    assert [(m["author"], m["body"]) for m in body["messages"]] == [("customer", "Cracked screen")]
    assert client.get(f"{TICKETS}{body['id']}/").json() == body


def test_the_conversation_never_includes_internal_notes(client, ann):
    ticket = open_ticket(ann)
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="internal: refund?", internal=True)
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="We are on it.")

    body = client.get(f"{TICKETS}{ticket.ticket_id}/").json()

    assert [(m["author"], m["author_name"], m["body"]) for m in body["messages"]] == [
        ("customer", "ann@example.com", "Help me, please."),
        ("staff", "Priya", "We are on it."),
    ]
    assert body["status"] == "waiting_on_customer"


def test_a_reply_reopens_and_resolve_resolves(client, ann):
    ticket = open_ticket(ann)

    resolved = post(client, f"{TICKETS}{ticket.ticket_id}/resolve/", {})
    replied = post(client, f"{TICKETS}{ticket.ticket_id}/messages/", {"body": "Actually, one more thing"})

    assert (resolved.status_code, resolved.json()["status"]) == (200, "resolved")
    assert (replied.status_code, replied.json()["status"]) == (201, "open")
    assert replied.json()["messages"][-1]["body"] == "Actually, one more thing"


def test_my_tickets_are_listed_in_keyset_pages(client, ann):
    tickets = [open_ticket(ann, body=f"ticket {i}") for i in range(3)]
    open_ticket(make_customer("bob"))

    first = client.get(TICKETS, {"page_size": 2}).json()
    second = client.get(TICKETS, {"page_size": 2, "cursor": first["next"]}).json()

    assert [t["id"] for t in first["results"] + second["results"]] == [t.ticket_id for t in reversed(tickets)]
    assert second["next"] is None
    assert "messages" not in first["results"][0]
    bad = client.get(TICKETS, {"cursor": "nonsense"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")


def test_the_ticket_list_and_detail_take_a_bounded_number_of_queries(client, ann, django_assert_max_num_queries):
    tickets = [open_ticket(ann) for _ in range(20)]
    for ticket in tickets[:5]:
        services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="ok")

    with django_assert_max_num_queries(4):
        assert len(client.get(TICKETS, {"page_size": 50}).json()["results"]) == 20
    with django_assert_max_num_queries(4):
        assert client.get(f"{TICKETS}{tickets[0].ticket_id}/").status_code == 200


def test_someone_elses_ticket_is_a_404_for_every_verb_and_changes_nothing(client, ann):
    bobs = open_ticket(make_customer("bob"))

    answers = [
        client.get(f"{TICKETS}{bobs.ticket_id}/"),
        post(client, f"{TICKETS}{bobs.ticket_id}/messages/", {"body": "hijack"}),
        post(client, f"{TICKETS}{bobs.ticket_id}/resolve/", {}),
        client.get(f"{TICKETS}99999999/"),
        client.get(f"{TICKETS}9999999999999999999999/"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert answers[0].json()["error"]["code"] == "not_found"
    assert stored() == (1, 1)
    assert services.get_ticket(bobs.ticket_id).status == "open"


def test_a_ticket_on_someone_elses_order_is_a_404_and_stores_nothing(client, ann):
    bobs_order = place_order(user_id=make_customer("bob").id)

    response = post(client, TICKETS, {"category": "other", "body": "Hi", "order_id": bobs_order.order_id})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "complaint", "body": "Hi"}, "category"),
        ({"body": "Hi"}, "category"),
        ({"category": "other", "body": ""}, "body"),
        ({"category": "other", "body": "x" * 5001}, "body"),
        ({"category": "other", "body": "x" * 50_000}, "body"),
        ({"category": "other", "body": ["not", "text"]}, "body"),
        ({"category": "other", "body": "Hi", "order_id": "abc"}, "order_id"),
        ({"category": "other", "body": "Hi", "order_id": 10**19}, "order_id"),
        ({"category": "other", "body": "Hi", "subject": "s" * 201}, "subject"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, ann, data, field):
    response = post(client, TICKETS, data)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert stored() == (0, 0)


def test_an_empty_or_huge_reply_is_a_400_and_stores_nothing(client, ann):
    ticket = open_ticket(ann)

    empty = post(client, f"{TICKETS}{ticket.ticket_id}/messages/", {"body": "  "})
    huge = post(client, f"{TICKETS}{ticket.ticket_id}/messages/", {"body": "z" * 5001})
    not_json = client.post(f"{TICKETS}{ticket.ticket_id}/messages/", "body=hi", content_type="text/plain")

    assert [empty.status_code, huge.status_code] == [400, 400]
    assert "at most 5,000 characters" in huge.json()["error"]["message"]
    assert not_json.status_code == 415
    assert stored() == (1, 1)


def test_html_in_a_message_is_returned_as_text_not_interpreted(client, ann):
    script = "<script>alert('x')</script>"

    response = post(client, TICKETS, {"category": "other", "body": script})

    assert response.json()["messages"][0]["body"] == script
    assert response["Content-Type"] == "application/json"


def test_anonymous_callers_are_refused(client):
    assert client.get(TICKETS).status_code in (401, 403)
    assert post(client, TICKETS, {"category": "other", "body": "Hi"}).status_code in (401, 403)
    assert stored() == (0, 0)


def test_an_idempotency_key_makes_a_retried_post_return_the_first_ticket(client, ann):
    first = post(client, TICKETS, {"category": "other", "body": "Hi"}, **{"Idempotency-Key": "abc-1"})
    again = post(client, TICKETS, {"category": "other", "body": "Hi"}, **{"Idempotency-Key": "abc-1"})

    assert (first.status_code, first["Idempotent-Replayed"]) == (201, "false")
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    assert again.json()["id"] == first.json()["id"]
    assert stored() == (1, 1)


def test_opening_tickets_is_rate_limited_per_customer_with_retry_after(client, ann, settings):
    settings.SUPPORT_TICKET_RATE = "3/hour"
    answers = [post(client, TICKETS, {"category": "other", "body": f"Hi {i}"}) for i in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["error"]["code"] == "throttled"
    assert 3500 <= int(answers[-1]["Retry-After"]) <= 3600
    assert stored() == (3, 3)
    # another customer has their own allowance, and reading is not limited
    client.force_login(make_customer("bob"))
    assert post(client, TICKETS, {"category": "other", "body": "Hi"}).status_code == 201
    assert client.get(TICKETS).status_code == 200


def test_replies_are_rate_limited_too(client, ann, settings):
    settings.SUPPORT_MESSAGE_RATE = "2/min"
    ticket = open_ticket(ann)
    url = f"{TICKETS}{ticket.ticket_id}/messages/"

    codes = [post(client, url, {"body": f"ping {i}"}).status_code for i in range(3)]

    assert codes == [201, 201, 429]
    assert stored() == (1, 3)


def test_the_categories_are_published_with_their_labels(client):
    body = client.get("/api/v1/support/categories/").json()

    assert [c["value"] for c in body["results"]] == [
        "where_is_my_order",
        "damaged_item",
        "return",
        "payment",
        "other",
    ]
    assert body["results"][0]["label"] == "Where is my order?"
