"""Sign-up, sign-in (merging the guest's cart), sign-out and the address book on the web."""

from __future__ import annotations

import pytest
from django.conf import settings

from shop.accounts.models import Address, User
from shop.cart import services as cart
from shop.cart.services import CartOwner
from tests.factories_accounts import PASSWORD, UserFactory
from tests.factories_cart import sellable_sku

pytestmark = pytest.mark.django_db


def cart_of(user: User) -> dict[int, int]:
    return {item.sku_id: item.quantity for item in cart.get_cart(CartOwner(user_id=user.pk)).items}


def test_sign_up_signs_in_and_keeps_the_guest_cart(client):
    sku = sellable_sku()
    client.post("/cart/add/", {"sku_id": sku.id, "quantity": 2})

    response = client.post(
        "/accounts/signup/", {"name": "Asha Rao", "email": "Asha@Example.com", "password": "a-long-passphrase"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="asha@example.com")
    assert (user.first_name, user.last_name) == ("Asha", "Rao")
    assert cart_of(user) == {sku.id: 2}
    assert response.cookies[settings.CART_COOKIE_NAME].value == ""  # the guest cookie is dropped
    assert "Hello, Asha" in client.get("/accounts/").content.decode()


def test_sign_up_returns_the_shopper_to_the_page_that_sent_them(client):
    page = client.get("/accounts/signup/?next=/checkout/").content.decode()
    assert 'name="next" value="/checkout/"' in page
    assert 'href="/accounts/login/?next=/checkout/"' in page

    response = client.post(
        "/accounts/signup/", {"email": "asha@example.com", "password": "a-long-passphrase", "next": "/checkout/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/checkout/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/checkout/", "javascript:alert(1)"])
def test_sign_up_ignores_a_next_address_off_the_site(client, target):
    response = client.post(
        "/accounts/signup/", {"email": "asha@example.com", "password": "a-long-passphrase", "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_sign_in_page_links_to_sign_up_keeping_where_to_go_next(client):
    page = client.get("/accounts/login/?next=/checkout/").content.decode()

    assert 'href="/accounts/signup/?next=/checkout/"' in page


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "taken@example.com", "password": "a-long-passphrase"}, "already exists"),
        ({"email": "TAKEN@example.com", "password": "a-long-passphrase"}, "already exists"),
        ({"email": "new@example.com", "password": "123"}, "too short"),
        ({"email": "not-an-email", "password": "a-long-passphrase"}, "valid email"),
    ],
)
def test_sign_up_explains_what_is_wrong(client, fields, error):
    UserFactory(email="taken@example.com")

    page = client.post("/accounts/signup/", fields).content.decode()

    assert error in page
    assert User.objects.count() == 1


def test_sign_in_merges_the_guest_cart_with_the_higher_quantity(client):
    kept, raised, added = sellable_sku(), sellable_sku(), sellable_sku()
    user = UserFactory(email="asha@example.com")
    cart.add_item(CartOwner(user_id=user.pk), kept.id, 3)
    cart.add_item(CartOwner(user_id=user.pk), raised.id, 1)
    client.post("/cart/add/", {"sku_id": kept.id, "quantity": 1})
    client.post("/cart/add/", {"sku_id": raised.id, "quantity": 4})
    client.post("/cart/add/", {"sku_id": added.id, "quantity": 1})

    response = client.post("/accounts/login/", {"username": "asha@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert cart_of(user) == {kept.id: 3, raised.id: 4, added.id: 1}
    assert 'class="cart-count" aria-hidden="true">8</span>' in client.get("/cart/").content.decode()


def test_sign_in_by_username_for_staff(client):
    UserFactory(username="admin", email="admin@example.com")

    response = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD})

    assert response.status_code == 302


def test_a_wrong_password_is_a_form_error(client):
    UserFactory(email="asha@example.com")

    page = client.post("/accounts/login/", {"username": "asha@example.com", "password": "wrong"}).content.decode()

    assert "Please enter a correct" in page


def test_sign_out_leaves_an_empty_guest_cart_and_keeps_the_customers(client):
    sku = sellable_sku()
    user = UserFactory()
    client.force_login(user)
    client.post("/cart/add/", {"sku_id": sku.id, "quantity": 1})

    client.post("/accounts/logout/")

    assert "Your cart is empty." in client.get("/cart/").content.decode()
    assert cart_of(user) == {sku.id: 1}


ADDRESS = {
    "full_name": "Asha Rao",
    "phone": "+91 98450 12345",
    "line1": "12 MG Road",
    "city": "Bengaluru",
    "region": "Karnataka",
    "postal_code": "560001",
    "country": "IN",
}


def test_the_address_book(client):
    user = UserFactory()
    client.force_login(user)

    client.post("/accounts/addresses/new/", ADDRESS)
    client.post("/accounts/addresses/new/", {**ADDRESS, "line1": "7 Park Street", "is_default": "on"})

    first, second = Address.objects.order_by("id")
    assert (first.is_default, second.is_default) == (False, True)
    page = client.get("/accounts/addresses/").content.decode()
    assert "12 MG Road" in page
    assert "7 Park Street" in page
    client.post(f"/accounts/addresses/{first.id}/", {**ADDRESS, "city": "Mysuru"})
    assert Address.objects.get(id=first.id).city == "Mysuru"
    client.post(f"/accounts/addresses/{second.id}/delete/")
    assert list(Address.objects.values_list("id", "is_default")) == [(first.id, True)]


def test_an_invalid_address_shows_field_errors(client):
    client.force_login(UserFactory())

    page = client.post("/accounts/addresses/new/", {**ADDRESS, "postal_code": "!!", "line1": ""}).content.decode()

    assert "Enter a postal code." in page
    assert "This field is required." in page
    assert not Address.objects.exists()


def test_another_customers_address_is_a_404(client):
    other = Address.objects.create(user=UserFactory(), **ADDRESS)
    client.force_login(UserFactory())

    assert client.get(f"/accounts/addresses/{other.id}/").status_code == 404
    assert client.post(f"/accounts/addresses/{other.id}/delete/").status_code == 404


def test_account_pages_need_sign_in(client):
    response = client.get("/accounts/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
