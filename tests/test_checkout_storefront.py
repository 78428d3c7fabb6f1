"""The checkout pages: address, shipping options with prices, card entry, review, place order,
then the confirmation page that follows the saga (eager here) to the order number or the
reason it failed, with the cart intact."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from shop.accounts import services as accounts
from shop.checkout.models import Checkout
from shop.inventory import services as inventory
from tests.factories_checkout import BENGALURU, DECLINED, VISA, cart_lines, shopper_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_emulator")]

PAGE = "/checkout/"


def signed_in(who) -> Client:
    client = Client()
    client.force_login(who.user)
    return client


def with_address(who) -> Client:
    client = signed_in(who)
    new = {f"{name}": value for name, value in BENGALURU.items()} | {"address": "new"}
    assert client.post("/checkout/address/", new).status_code == 302
    return client


def idempotency_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def test_the_checkout_page_needs_a_signed_in_customer():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/checkout/")


def test_without_an_address_the_page_asks_for_one_and_shows_no_place_order_button():
    page = signed_in(shopper_with()).get(PAGE).content.decode()

    assert 'action="/checkout/address/"' in page
    assert 'autocomplete="shipping postal-code"' in page
    assert "Place your order" not in page


def test_a_bad_address_is_a_form_error_on_the_field():
    client = signed_in(shopper_with())

    response = client.post("/checkout/address/", BENGALURU | {"address": "new", "postcode": "12"})

    assert response.status_code == 400
    assert "Not a valid postcode for IN." in response.content.decode()
    assert "checkout_address" not in client.session


def test_with_an_address_the_page_offers_every_shipping_option_with_its_price_and_the_card_fields():
    who = shopper_with(price="300.00")
    page = with_address(who).get(PAGE).content.decode()

    assert '<address id="delivery-address">Asha Rao' in page
    assert 'value="standard" checked' in page
    assert "INR 424.80" in page  # standard: 300 + 60 shipping + 18% GST
    assert "INR 518.02" in page  # express
    assert 'name="payment_method"' in page  # the token field; the card inputs carry no name
    assert "card_number" not in page
    assert who.skus[0].product.name in page
    assert "Place your order" in page


def test_a_saved_default_address_is_used_without_asking():
    who = shopper_with()
    accounts.save_address(
        who.user.id, full_name="Asha Rao", line1="2 Park St", city="Kolkata", postal_code="700016", country="IN"
    )

    page = signed_in(who).get(PAGE).content.decode()

    assert "2 Park St" in page
    assert "Place your order" in page


def test_placing_the_order_leads_to_a_confirmation_with_the_order_number(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00")
    client = with_address(who)
    key = idempotency_key(client.get(PAGE).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/checkout/place/", {"shipping_option": "express", "payment_method": VISA, "idempotency_key": key}
        )

    checkout = Checkout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/checkout/{checkout.id}/"
    page = client.get(response["Location"]).content.decode()
    assert "your order is placed" in page
    assert f'<strong id="order-number">{checkout.order_number}</strong>' in page
    assert "follow.js" not in page  # finished: nothing to follow
    assert cart_lines(who) == {}


def test_a_double_click_places_one_order(django_capture_on_commit_callbacks):
    client = with_address(shopper_with())
    form = {"shipping_option": "standard", "payment_method": VISA}
    form["idempotency_key"] = idempotency_key(client.get(PAGE).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/checkout/place/", form)
        second = client.post("/checkout/place/", form)

    assert first["Location"] == second["Location"]
    assert Checkout.objects.count() == 1


def test_a_declined_card_shows_why_and_keeps_the_cart(django_capture_on_commit_callbacks):
    who = shopper_with(price="600.00", quantity=2)
    client = with_address(who)
    key = idempotency_key(client.get(PAGE).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/checkout/place/", {"shipping_option": "standard", "payment_method": DECLINED, "idempotency_key": key}
        )
    page = client.get(response["Location"]).content.decode()

    assert "Your order was not placed" in page
    assert "Your card was declined" in page
    assert "not been charged" in page
    assert cart_lines(who) == {who.skus[0].id: (2, Decimal("600.00"))}


def test_while_the_saga_runs_the_confirmation_page_follows_it_with_and_without_javascript():
    client = with_address(shopper_with())
    key = idempotency_key(client.get(PAGE).content.decode())
    response = client.post(
        "/checkout/place/", {"shipping_option": "standard", "payment_method": VISA, "idempotency_key": key}
    )

    page = client.get(response["Location"]).content.decode()  # the saga has not run (no commit in this test)

    assert "Placing your order" in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "checkout/follow" in page
    checkout = Checkout.objects.get()
    assert f'data-status-url="/api/v1/checkout/{checkout.id}"' in page


def test_refusals_come_back_on_the_page_with_nothing_placed():
    client = with_address(shopper_with())
    key = idempotency_key(client.get(PAGE).content.decode())

    response = client.post(
        "/checkout/place/",
        {"shipping_option": "standard", "payment_method": "4242424242424242", "idempotency_key": key},
    )

    assert response.status_code == 400
    assert "never the card number" in response.content.decode()
    assert not Checkout.objects.exists()


def test_someone_elses_confirmation_page_is_a_404():
    client = with_address(shopper_with())
    key = idempotency_key(client.get(PAGE).content.decode())
    location = client.post(
        "/checkout/place/", {"shipping_option": "standard", "payment_method": VISA, "idempotency_key": key}
    )["Location"]

    assert signed_in(shopper_with()).get(location).status_code == 404


def test_an_item_sold_out_since_it_was_added_is_marked_out_of_stock_on_the_checkout_page():
    who = shopper_with(stock=1)
    client = with_address(who)
    inventory.reserve("someone-else", [inventory.Line(who.skus[0].id, 1)])

    page = client.get(PAGE).content.decode()

    assert '<div class="stock-out_of_stock">Out of stock</div>' in page
    assert "Only 0 left" not in page


def test_the_cart_links_to_checkout():
    page = signed_in(shopper_with()).get("/cart/").content.decode()

    assert 'href="/checkout/"' in page


def test_an_item_sold_out_since_it_was_added_shows_a_clear_message_not_an_error_page(
    django_capture_on_commit_callbacks,
):
    who = shopper_with(quantity=1, stock=1)
    client = with_address(who)
    key = idempotency_key(client.get(PAGE).content.decode())
    assert inventory.reserve("someone-else", [inventory.Line(sku_id=who.skus[0].id, quantity=1)]).ok

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/checkout/place/", {"shipping_option": "standard", "payment_method": VISA, "idempotency_key": key}
        )
    page = response.content.decode()

    assert response.status_code == 400  # the checkout page again, with the reason on top
    assert re.search(r'role="alert" id="checkout-error">Sorry, [^<]+ is out of stock\.<', page)
    assert cart_lines(who) == {who.skus[0].id: (1, Decimal("600.00"))}


def test_the_same_form_sent_again_with_another_choice_is_refused_on_the_page(django_capture_on_commit_callbacks):
    client = with_address(shopper_with())
    key = idempotency_key(client.get(PAGE).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/checkout/place/", {"shipping_option": "standard", "payment_method": VISA, "idempotency_key": key})
        again = client.post(
            "/checkout/place/", {"shipping_option": "express", "payment_method": VISA, "idempotency_key": key}
        )
        garbled = client.post(
            "/checkout/place/", {"shipping_option": "express", "payment_method": VISA, "idempotency_key": "a b"}
        )

    assert again.status_code == 422
    assert "That form has expired; please try again." in again.content.decode()
    assert garbled.status_code == 400
    assert Checkout.objects.count() == 1
