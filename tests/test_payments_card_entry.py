"""Card numbers never reach our server: the browser tokenizes with the processor, we accept only pm_ tokens."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.template import Context, Template

from shop.payments import services
from tests import payments_card_page
from tests.factories_payments import inr, new_reference

CARD = "4242424242424242"


# --- Requests carrying card data are refused before any view ---------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"card_number": CARD}, "card_number"),
        ({"payment": {"card": {"number": CARD, "exp_month": 12}}}, "payment.card.number"),
        ({"payment_method": "pm_card_visa", "cvc": "123"}, "cvc"),
        ({"lines": [{"sku": 1}, {"card": {"number": CARD}}]}, "lines.1.card.number"),
    ],
)
def test_api_request_carrying_card_data_is_rejected_with_400(client, body, field):
    response = client.post("/api/v1/payments/config", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "card_data_rejected"
    assert list(error["fields"]) == [field]
    assert "pm_" in error["message"]


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_form_post_carrying_card_fields_is_rejected_with_400(client, encoding):
    fields = {"card[number]": CARD, "card[cvc]": "123"}
    if encoding == "urlencoded":
        response = client.post("/checkout/", urlencode(fields), content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/checkout/", fields)

    assert response.status_code == 400
    assert "payment processor" in response.content.decode()


def test_requests_with_only_a_token_or_an_address_number_pass_through(client):
    body = {"payment_method": "pm_1AbCdEf", "address": {"number": "221B", "street": "Baker Street"}}

    response = client.post("/api/v1/payments/config", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 405  # reached the view, which only answers GET


@pytest.mark.parametrize("value", ["pm_card_visa", "pm_1Pq2Rs3Tu4Vw5Xy6Za"])
def test_payment_method_token_accepts_processor_tokens(value):
    assert services.payment_method_token(value) == value


@pytest.mark.parametrize("value", [CARD, "4242 4242 4242 4242", 4242424242424242, "tok_visa", "", None, "pm_"])
def test_payment_method_token_refuses_anything_else(value):
    with pytest.raises(services.CardDataRejected):
        services.payment_method_token(value)


# --- What the browser and apps are given ---------------------------------------------------


def test_config_api_tells_clients_where_to_tokenize(client, settings):
    settings.STRIPE_API_BASE, settings.STRIPE_PUBLISHABLE_KEY = "http://127.0.0.1:12111", "pk_test_emulator"

    body = client.get("/api/v1/payments/config").json()

    assert body["processor"] == "emulator"
    assert body["publishable_key"] == "pk_test_emulator"
    assert body["tokenize_url"] == "http://127.0.0.1:12111/v1/payment_methods"
    assert body["js_url"] == "http://127.0.0.1:12111/js/stripe-emulator.js"


def test_with_real_stripe_keys_the_card_entry_uses_stripe_js(settings):
    settings.STRIPE_API_BASE, settings.STRIPE_PUBLISHABLE_KEY = "", "pk_live_example"

    html = Template("{% load payments %}{% payment_card_fields %}").render(Context({}))

    assert '<script src="https://js.stripe.com/v3/" defer>' in html
    assert 'data-publishable-key="pk_live_example"' in html


def test_card_entry_submits_only_a_hidden_token_field(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"

    html = Template("{% load payments %}{% payment_card_fields field_name='card_token' %}").render(Context({}))

    assert '<input type="hidden" name="card_token"' in html
    assert html.count("name=") == 1  # the card inputs are created nameless by the processor's script
    assert "/js/stripe-emulator.js" in html
    assert 'role="alert"' in html


# --- In a real browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.urls("tests.payments_card_page")
@pytest.mark.django_db(transaction=True)
def test_browser_sends_the_card_to_the_processor_and_only_the_token_to_us(live_server, stripe_emulator, page):
    payments_card_page.RECEIVED.clear()
    processor_calls: list[str] = []
    page.on("request", lambda request: processor_calls.append(f"{request.method} {request.url}"))
    page.goto(f"{live_server.url}/test-pay/")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_selector("#received")

    [posted] = payments_card_page.RECEIVED
    assert set(posted) == {"csrfmiddlewaretoken", "payment_method"}
    token = posted["payment_method"][0]
    assert token.startswith("pm_")
    assert CARD not in json.dumps(posted)
    assert f"POST {stripe_emulator.url}/v1/payment_methods" in processor_calls
    assert services.authorize(new_reference(), inr("10.00"), token).approved


@pytest.mark.browser
@pytest.mark.urls("tests.payments_card_page")
@pytest.mark.django_db(transaction=True)
def test_browser_shows_the_processors_error_and_posts_nothing(live_server, stripe_emulator, page):
    payments_card_page.RECEIVED.clear()
    page.goto(f"{live_server.url}/test-pay/")
    page.get_by_label("Card number").fill("4242 4242 4242 4241")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay").click()
    alert = page.get_by_role("alert")
    alert.filter(has_text="incorrect").wait_for()
    message = alert.inner_text()

    assert "Your card number is incorrect." in message
    assert payments_card_page.RECEIVED == []
