"""Checkout REST API v1: place an order (202, idempotent on the key), follow it, quote shipping,
and every bad input of the issue's list refused with a clear 4xx, nothing written, held or charged.

The webhook signature rejection belongs to payments: tests/test_payments_webhooks.py."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts import services as accounts
from shop.catalog import services as catalog
from shop.checkout.models import Checkout
from shop.inventory import services as inventory
from shop.inventory.models import Hold
from shop.payments.models import Payment
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku, warehouse
from tests.factories_checkout import BENGALURU, DECLINED, VISA, cart_lines, order_body, shopper, shopper_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_emulator")]

CHECKOUT = "/api/v1/checkout"
QUOTE = "/api/v1/checkout/quote"


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def post(api: APIClient, body, key: str | None = "auto"):
    headers = {} if key is None else {"Idempotency-Key": str(uuid.uuid4()) if key in ("auto", "k") else key}
    return api.post(CHECKOUT, body, format="json", headers=headers)


def error_of(response) -> dict:
    return response.json()["error"]


def nothing_written() -> bool:
    return not (Checkout.objects.exists() or Hold.objects.exists() or Payment.objects.exists())


def test_placing_an_order_answers_202_with_the_checkout_to_follow(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00", quantity=1)
    api = client_for(who.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, order_body(VISA))

    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == body["status_url"]
    assert body["status_url"].endswith(f"/api/v1/checkout/{body['id']}")
    assert body["totals"] == {
        "subtotal": "600.00",
        "shipping": "0.00",
        "tax": "108.00",
        "grand_total": "708.00",
        "currency": "INR",
    }
    followed = api.get(body["status_url"]).json()
    assert (followed["state"], followed["step"], followed["is_terminal"], followed["failure"]) == (
        "completed",
        "",
        True,
        None,
    )
    assert followed["order"]["number"]
    assert followed["order"]["url"].endswith(f"/api/v1/orders/{followed['order']['id']}/")
    assert followed["lines"][0]["product_name"] == who.skus[0].product.name


def test_a_failed_checkout_reports_its_code_and_message(django_capture_on_commit_callbacks):
    api = client_for(shopper_with().user)
    with django_capture_on_commit_callbacks(execute=True):
        body = post(api, order_body(DECLINED)).json()

    followed = api.get(body["status_url"]).json()

    assert followed["state"] == "failed"
    assert followed["failure"]["code"] == "generic_decline"
    assert "declined" in followed["failure"]["message"]
    assert followed["order"] is None


def test_the_same_key_and_body_twice_is_one_checkout():
    who = shopper_with()
    api = client_for(who.user)

    first = post(api, order_body(), key="order-attempt-1")
    second = post(api, order_body(), key="order-attempt-1")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Checkout.objects.count() == 1


def test_a_key_reused_with_another_body_is_refused_with_422():
    api = client_for(shopper_with().user)
    post(api, order_body(option="standard"), key="order-attempt-1")

    response = post(api, order_body(option="express"), key="order-attempt-1")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert Checkout.objects.count() == 1


def test_keys_are_per_customer():
    post(client_for(shopper_with().user), order_body(), key="same-key")

    response = post(client_for(shopper_with().user), order_body(), key="same-key")

    assert response.status_code == 202
    assert Checkout.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "key", "code", "field"),
    [
        ({}, None, "idempotency_key_required", "Idempotency-Key"),
        ({}, "has spaces in it", "invalid_idempotency_key", "Idempotency-Key"),
        ({"shipping_address": BENGALURU | {"postcode": "56001"}}, "k", "invalid_address", "shipping_address.postcode"),
        ({"shipping_address": BENGALURU | {"line1": ""}}, "auto", "invalid_address", "shipping_address.line1"),
        ({"shipping_address": "1 MG Road"}, "auto", "invalid_address", "shipping_address"),
        ({"shipping_address": None}, "auto", "address_required", "shipping_address"),
        ({"address_id": 999999}, "auto", "unknown_address", "address_id"),
        ({"shipping_option": "teleport"}, "auto", "unknown_shipping_option", "shipping_option"),
        ({"shipping_option": None}, "auto", "unknown_shipping_option", "shipping_option"),
        ({"payment_method": "tok_visa"}, "auto", "invalid_payment_method", "payment_method"),
        ({"payment_method": "4242 4242 4242 4242"}, "auto", "invalid_payment_method", "payment_method"),
    ],
)
def test_bad_requests_are_400s_naming_the_problem(changes, key, code, field):
    api = client_for(shopper_with().user)

    response = post(api, order_body() | changes, key=key)

    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert field in error_of(response)["fields"]
    assert nothing_written()


def test_card_numbers_in_the_body_never_reach_the_view():
    api = client_for(shopper_with().user)

    response = post(api, order_body() | {"card": {"number": "4242424242424242"}})

    assert response.status_code == 400
    assert error_of(response)["code"] == "card_data_rejected"
    assert nothing_written()


def test_an_address_we_do_not_ship_to_is_a_400():
    api = client_for(shopper_with().user)
    abroad = {"name": "A", "line1": "1 Main St", "city": "Springfield", "postcode": "12345", "country": "US"}

    response = post(api, order_body(shipping_address=abroad))

    assert response.status_code == 400
    assert error_of(response)["code"] == "no_shipping"
    assert nothing_written()


def test_an_empty_cart_is_a_400():
    response = post(client_for(UserFactory()), order_body())

    assert response.status_code == 400
    assert error_of(response)["code"] == "empty_cart"
    assert nothing_written()


def test_an_unknown_sku_in_the_cart_is_a_400_naming_it():
    who = shopper_with()
    sku_id = who.skus[0].id
    who.skus[0].delete()

    response = post(client_for(who.user), order_body())

    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_sku"
    assert f"Item {sku_id} is no longer available" in error_of(response)["message"]
    assert nothing_written()


def test_an_item_no_longer_sold_is_a_400_naming_it():
    who = shopper_with()
    catalog.update_product(who.skus[0].product_id, is_active=False)

    response = post(client_for(who.user), order_body())

    assert response.status_code == 400
    assert error_of(response)["code"] == "unavailable_sku"
    assert who.skus[0].product.name in error_of(response)["message"]


def test_a_quantity_beyond_stock_is_a_400_naming_the_product():
    who = shopper_with(quantity=3, stock=5)
    inventory.adjust(who.skus[0].id, warehouse().id, -3, reason="damaged")

    response = post(client_for(who.user), order_body())

    assert response.status_code == 400
    assert error_of(response)["code"] == "out_of_stock"
    assert error_of(response)["message"].startswith(f"Only 2 of {who.skus[0].product.name} left in stock")
    assert nothing_written()


def test_a_price_changed_since_it_was_added_is_a_409_and_the_cart_takes_the_new_price(
    django_capture_on_commit_callbacks,
):
    who = shopper_with(price="600.00")
    sku = who.skus[0]
    catalog.update_product(sku.product_id, price=Decimal("549.00"))
    api = client_for(who.user)

    with django_capture_on_commit_callbacks(execute=True):  # the cart's cached copy follows its commit
        response = post(api, order_body())

    assert response.status_code == 409
    assert error_of(response)["code"] == "price_changed"
    assert "INR 600.00 to INR 549.00" in error_of(response)["message"]
    assert cart_lines(who) == {sku.id: (1, Decimal("549.00"))}
    assert nothing_written()
    assert post(api, order_body()).status_code == 202


def test_a_saved_address_can_be_chosen_by_id(django_capture_on_commit_callbacks):
    who = shopper_with()
    saved = accounts.save_address(
        who.user.id, full_name="Asha Rao", line1="2 Park St", city="Kolkata", postal_code="700016", country="IN"
    )

    with django_capture_on_commit_callbacks(execute=True):
        body = {"address_id": saved.address_id, "shipping_option": "express", "payment_method": VISA}
        response = post(client_for(who.user), body)

    assert response.status_code == 202
    assert response.json()["shipping_address"]["city"] == "Kolkata"
    assert Checkout.objects.get().state == "completed"


def test_a_body_that_is_not_an_object_is_a_400():
    response = client_for(shopper_with().user).post(CHECKOUT, [1, 2], format="json", headers={"Idempotency-Key": "k"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_body"


def test_signed_out_clients_are_refused():
    api = APIClient()

    assert post(api, order_body()).status_code == 401
    assert api.get(f"{CHECKOUT}/{uuid.uuid4()}").status_code == 401


def test_someone_elses_checkout_is_a_404():
    body = post(client_for(shopper_with().user), order_body()).json()
    stranger = client_for(UserFactory())

    assert stranger.get(body["status_url"]).status_code == 404
    assert stranger.get(f"{CHECKOUT}/{uuid.uuid4()}").status_code == 404
    assert stranger.get(f"{CHECKOUT}/not-a-uuid").json()["error"]["code"] == "not_found"


def test_following_a_checkout_takes_few_queries(django_assert_max_num_queries):
    who = shopper_with()
    api = client_for(who.user)
    url = post(api, order_body()).json()["status_url"]

    with django_assert_max_num_queries(2):
        response = api.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Retry-After"] == "1"  # still pending: poll again


def test_quoting_gives_every_shipping_option_for_the_cart():
    shirt = sellable_sku(price="300.00")
    who = shopper((shirt, 1))

    response = client_for(who.user).post(QUOTE, {"shipping_address": BENGALURU}, format="json")

    assert response.status_code == 200
    options = {option["option"]: option for option in response.json()["options"]}
    # 300 of goods, 400 g: standard 40 + 20 per started kg; express 99 + 40; GST 18% on goods and shipping
    assert (options["standard"]["shipping"], options["standard"]["total"]) == ("60.00", "424.80")
    assert (options["express"]["shipping"], options["express"]["total"]) == ("139.00", "518.02")
    assert options["express"]["min_days"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"shipping_address": BENGALURU | {"postcode": "1"}}, "invalid_address"),
        ({"shipping_address": BENGALURU | {"country": "FR", "postcode": "75001"}}, "no_shipping"),
        ({}, "address_required"),
    ],
)
def test_quoting_a_bad_address_is_a_400(body, code):
    response = client_for(shopper_with().user).post(QUOTE, body, format="json")

    assert response.status_code == 400
    assert error_of(response)["code"] == code


def test_quoting_an_empty_cart_is_a_400():
    response = client_for(UserFactory()).post(QUOTE, {"shipping_address": BENGALURU}, format="json")

    assert error_of(response)["code"] == "empty_cart"
