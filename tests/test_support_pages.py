"""The customer's help pages: my tickets, open one from an order page, the conversation with a
reply form, mark resolved; escaping, refusals and rate limits."""

from __future__ import annotations

import pytest

from shop.support import services
from shop.support.models import Message, Ticket
from tests.factories_lifecycle import make_customer
from tests.factories_orders import place_order
from tests.factories_support import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = make_customer("ann")
    client.force_login(user)
    return user


def stored() -> tuple[int, int]:
    return Ticket.objects.count(), Message.objects.count()


def new_ticket(client, order_id: int | None = None, **data):
    url = "/accounts/support/new/" + (f"?order={order_id}" if order_id else "")
    form = {"category": "other", "body": "Help", "order_id": order_id or "", "client_key": "k1", **data}
    return client.post(url, form)


def test_the_order_page_links_to_help_with_that_order(client, ann):
    order = place_order(user_id=ann.id)

    html = client.get(f"/accounts/orders/{order.order_id}/").content.decode()

    assert f'href="/accounts/support/new/?order={order.order_id}"' in html
    assert "Get help with this order" in html


def test_help_with_an_order_opens_a_ticket_about_it(client, ann):
    order = place_order(user_id=ann.id)
    page = client.get(f"/accounts/support/new/?order={order.order_id}").content.decode()
    assert f'<option value="{order.order_id}" selected>Order {order.number}' in page
    assert '<label for="id_body">How can we help?</label>' in page

    response = new_ticket(client, order.order_id, category="where_is_my_order", body="Still not here")

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/support/{ticket.id}/"
    assert (ticket.order_id, ticket.category) == (order.order_id, "where_is_my_order")
    html = client.get(response["Location"]).content.decode()
    assert "Still not here" in html
    assert f"order {order.number}" in html


def test_help_with_someone_elses_order_is_a_404_and_stores_nothing(client, ann):
    bobs = place_order(user_id=make_customer("bob").id)

    assert client.get(f"/accounts/support/new/?order={bobs.order_id}").status_code == 404
    assert client.get("/accounts/support/new/?order=abc").status_code == 404
    assert new_ticket(client, bobs.order_id).status_code == 404
    assert (
        client.post("/accounts/support/new/", {"category": "other", "body": "x", "order_id": bobs.order_id}).status_code
        == 404
    )
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"category": "nonsense"}, "Select a valid choice"),
        ({"body": ""}, "This field is required"),
        ({"body": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_bad_input_is_a_form_error_and_stores_nothing(client, ann, data, error):
    response = new_ticket(client, **data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert stored() == (0, 0)


def test_the_conversation_escapes_html_and_hides_internal_notes(client, ann):
    ticket = open_ticket(ann, body="<script>alert('x')</script>\nsecond line")
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="<b>Hi</b>")
    services.staff_reply(ticket.ticket_id, staff_id=1, staff_name="Priya", body="secret note", internal=True)

    html = client.get(f"/accounts/support/{ticket.ticket_id}/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>second line" in html
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html
    assert "Priya · Customer service" in html
    assert "secret note" not in html
    assert "Waiting on customer" in html


def test_a_reply_from_the_page_reopens_a_resolved_ticket_once_per_submit(client, ann):
    ticket = open_ticket(ann)
    client.post(f"/accounts/support/{ticket.ticket_id}/resolve/")
    assert services.get_ticket(ticket.ticket_id).status == "resolved"

    form = {"body": "It broke again", "client_key": "reply-1"}
    first = client.post(f"/accounts/support/{ticket.ticket_id}/", form)
    second = client.post(f"/accounts/support/{ticket.ticket_id}/", form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert services.get_ticket(ticket.ticket_id).status == "open"
    assert stored() == (1, 2)


def test_an_empty_reply_is_a_form_error(client, ann):
    ticket = open_ticket(ann)

    response = client.post(f"/accounts/support/{ticket.ticket_id}/", {"body": "", "client_key": "k"})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert stored() == (1, 1)


def test_someone_elses_ticket_page_reply_and_resolve_are_404s(client, ann):
    bobs = open_ticket(make_customer("bob"))

    assert client.get(f"/accounts/support/{bobs.ticket_id}/").status_code == 404
    assert client.post(f"/accounts/support/{bobs.ticket_id}/", {"body": "hi", "client_key": "k"}).status_code == 404
    assert client.post(f"/accounts/support/{bobs.ticket_id}/resolve/").status_code == 404
    assert stored() == (1, 1)
    assert services.get_ticket(bobs.ticket_id).status == "open"


def test_my_tickets_page_lists_only_mine(client, ann):
    mine = open_ticket(ann, category="payment")
    open_ticket(make_customer("bob"), category="return")

    html = client.get("/accounts/support/").content.decode()

    assert f'href="/accounts/support/{mine.ticket_id}/"' in html
    assert "Payment" in html
    assert html.count('class="order-card"') == 1


def test_the_pages_need_a_signed_in_customer(client):
    for url in ("/accounts/support/", "/accounts/support/new/", "/accounts/support/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_opening_tickets_from_the_page_is_rate_limited_with_retry_after(client, ann, settings):
    settings.SUPPORT_TICKET_RATE = "2/hour"

    codes = [new_ticket(client, client_key=f"k{i}").status_code for i in range(3)]

    assert codes == [302, 302, 429]
    response = new_ticket(client, client_key="k9")
    assert int(response["Retry-After"]) > 0
    assert "please try again in about" in response.content.decode()
    assert stored() == (2, 2)
