"""Accounts API for the mobile apps: sign-up, token sign-in (merging the guest cart), addresses."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shop.accounts.models import Address
from shop.cart import services as cart
from shop.cart.services import CartOwner
from tests.factories_accounts import PASSWORD, UserFactory
from tests.factories_cart import sellable_sku

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Asha Rao", "line1": "12 MG Road", "city": "Bengaluru", "postal_code": "560001"}


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def signed_in(user) -> APIClient:
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def test_sign_up_returns_a_token(api):
    response = api.post(
        "/api/v1/auth/signup/", {"email": "asha@example.com", "password": "a-long-passphrase"}, format="json"
    )

    assert response.status_code == 201
    token = response.json()["token"]
    me = api.get("/api/v1/auth/me/", headers={"Authorization": f"Token {token}"})
    assert me.json()["email"] == "asha@example.com"


def test_sign_up_errors_name_the_field(api):
    UserFactory(email="asha@example.com")

    response = api.post("/api/v1/auth/signup/", {"email": "asha@example.com", "password": "short"}, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"email", "password"}


def test_token_sign_in_merges_the_guest_cart_sent_in_the_header(api):
    a, b = sellable_sku(), sellable_sku()
    user = UserFactory()
    cart.add_item(CartOwner(user_id=user.pk), a.id, 2)
    guest_token = api.post("/api/v1/cart/items/", {"sku_id": a.id, "quantity": 1}, format="json").json()["token"]
    api.post("/api/v1/cart/items/", {"sku_id": b.id}, format="json", headers={"X-Cart-Token": guest_token})

    response = api.post(
        "/api/v1/auth/token/",
        {"username": user.email, "password": PASSWORD},
        format="json",
        headers={"X-Cart-Token": guest_token},
    )

    assert response.status_code == 200
    assert response.json()["merged_cart_lines"] == 2
    body = api.get("/api/v1/cart/", headers={"Authorization": f"Token {response.json()['token']}"}).json()
    assert {item["sku_id"]: item["quantity"] for item in body["items"]} == {a.id: 2, b.id: 1}


def test_wrong_credentials_are_a_400(api):
    UserFactory(email="asha@example.com")

    response = api.post("/api/v1/auth/token/", {"username": "asha@example.com", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_without_a_token_me_is_refused(api):
    response = api.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_signing_out_revokes_the_token():
    client = signed_in(UserFactory())

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_sign_in_is_throttled(api, settings):
    UserFactory(email="asha@example.com")
    statuses = [
        api.post("/api/v1/auth/token/", {"username": "asha@example.com", "password": "x"}, format="json").status_code
        for _ in range(32)
    ]

    assert statuses[0] == 400
    assert statuses[-1] == 429


def test_addresses_crud_with_one_default():
    client = signed_in(UserFactory())

    first = client.post("/api/v1/addresses/", ADDRESS, format="json")
    second = client.post("/api/v1/addresses/", {**ADDRESS, "line1": "7 Park St", "is_default": True}, format="json")

    assert first.status_code == 201
    assert first.json()["is_default"] is True
    assert first.json()["country"] == "IN"
    listed = client.get("/api/v1/addresses/").json()["results"]
    assert [(a["line1"], a["is_default"]) for a in listed] == [("7 Park St", True), ("12 MG Road", False)]
    patched = client.patch(f"/api/v1/addresses/{first.json()['id']}/", {"city": "Mysuru"}, format="json")
    assert patched.json()["city"] == "Mysuru"
    assert client.delete(f"/api/v1/addresses/{second.json()['id']}/").status_code == 204
    assert client.get(f"/api/v1/addresses/{first.json()['id']}/").json()["is_default"] is True


def test_a_bad_address_is_a_400_naming_the_fields():
    client = signed_in(UserFactory())

    response = client.post("/api/v1/addresses/", {**ADDRESS, "postal_code": "??", "country": "India"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"postal_code", "country"}
    assert not Address.objects.exists()


def test_the_address_book_is_bounded(settings):
    settings.ACCOUNTS_MAX_ADDRESSES = 2
    client = signed_in(UserFactory())
    for _ in range(2):
        client.post("/api/v1/addresses/", ADDRESS, format="json")

    response = client.post("/api/v1/addresses/", ADDRESS, format="json")

    assert response.status_code == 400
    assert "at most 2" in response.json()["error"]["message"]


def test_another_customers_address_is_a_404():
    other = Address.objects.create(user=UserFactory(), **ADDRESS)
    client = signed_in(UserFactory())

    assert client.get(f"/api/v1/addresses/{other.id}/").status_code == 404
    assert client.patch(f"/api/v1/addresses/{other.id}/", {"city": "X"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/addresses/{other.id}/").status_code == 404
