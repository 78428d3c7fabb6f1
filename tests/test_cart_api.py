"""Cart REST API v1: guests by X-Cart-Token, customers by session or token; clear 4xx errors."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shop.cart import services
from shop.cart.services import CartOwner
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def add(api: APIClient, sku_id: object, quantity: object = 1, **headers: str):
    return api.post(ITEMS, {"sku_id": sku_id, "quantity": quantity}, format="json", headers=headers)


def error_of(response) -> dict:
    return response.json()["error"]


def test_a_guests_first_add_creates_a_cart_and_returns_its_token(api):
    sku = sellable_sku("250.00")

    created = add(api, sku.id, 2)

    assert created.status_code == 201
    token = created.json()["token"]
    assert created["X-Cart-Token"] == token
    body = api.get(CART, headers={"X-Cart-Token": token}).json()
    assert body["token"] == token
    assert body["item_count"] == 2
    assert body["subtotal"] == "500.00"
    [item] = body["items"]
    assert item == {
        "sku_id": sku.id,
        "product_id": sku.product_id,
        "product_name": sku.product.name,
        "variant": {},
        "quantity": 2,
        "unit_price": "250.00",
        "price_when_added": "250.00",
        "price_changed": False,
        "line_total": "500.00",
        "currency": "INR",
        "is_available": True,
        "stock_status": "in_stock",
        "available_quantity": 20,
    }


def test_a_guest_keeps_adding_to_the_same_cart_with_the_token(api):
    a, b = sellable_sku(), sellable_sku()
    token = add(api, a.id).json()["token"]

    response = add(api, b.id, 3, **{"X-Cart-Token": token})

    assert response.json()["token"] == token
    assert response.json()["item_count"] == 4


def test_without_a_token_a_guest_has_an_empty_cart(api):
    body = api.get(CART).json()

    assert body["items"] == []
    assert body["token"] is None


def test_a_token_the_store_did_not_issue_is_a_400(api):
    response = api.get(CART, headers={"X-Cart-Token": "made-up"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_cart_token"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"sku_id": "SKU", "quantity": 1}, 400, "invalid", "sku_id"),
        ({"quantity": 1}, 400, "invalid", "sku_id"),
        ({"sku_id": "{sku}", "quantity": "many"}, 400, "invalid", "quantity"),
        ({"sku_id": "{sku}", "quantity": 1.5}, 400, "invalid", "quantity"),
        ({"sku_id": "{sku}", "quantity": 0}, 400, "invalid_quantity", "quantity"),
        ({"sku_id": "{sku}", "quantity": -3}, 400, "invalid_quantity", "quantity"),
        ({"sku_id": "{sku}", "quantity": 10**9}, 400, "quantity_limit", "quantity"),
        ({"sku_id": 999999999, "quantity": 1}, 400, "unknown_sku", "sku_id"),
        ({"sku_id": 10**30, "quantity": 1}, 400, "unknown_sku", "sku_id"),
        ({"sku_id": "{sku}", "quantity": 21}, 400, "quantity_limit", "quantity"),
    ],
)
def test_bad_additions_are_clear_4xx_errors(api, payload, status, code, field):
    sku = sellable_sku()
    payload = {key: sku.id if value == "{sku}" else value for key, value in payload.items()}

    response = api.post(ITEMS, payload, format="json")

    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code
    assert field in error["fields"]
    assert error["message"]


def test_adding_more_than_is_in_stock_is_a_409(api):
    sku = sellable_sku(stock=2)

    response = add(api, sku.id, 3)

    assert response.status_code == 409
    assert error_of(response) == {
        "code": "out_of_stock",
        "message": "Only 2 left in stock.",
        "fields": {"quantity": ["Only 2 left in stock."]},
    }


def test_an_inactive_sku_is_a_400(api):
    sku = sellable_sku()
    sku.is_active = False
    sku.save()

    response = add(api, sku.id)

    assert response.status_code == 400
    assert error_of(response)["code"] == "unavailable_sku"


def test_change_quantity_remove_and_clear(api):
    a, b = sellable_sku(), sellable_sku()
    token = add(api, a.id).json()["token"]
    add(api, b.id, 2, **{"X-Cart-Token": token})
    headers = {"X-Cart-Token": token}

    patched = api.patch(f"{ITEMS}{a.id}/", {"quantity": 4}, format="json", headers=headers)
    assert patched.status_code == 200
    assert {i["sku_id"]: i["quantity"] for i in patched.json()["items"]} == {a.id: 4, b.id: 2}

    zero = api.patch(f"{ITEMS}{a.id}/", {"quantity": 0}, format="json", headers=headers)
    assert zero.status_code == 400
    assert error_of(zero)["code"] == "invalid_quantity"

    removed = api.delete(f"{ITEMS}{b.id}/", headers=headers)
    assert [i["sku_id"] for i in removed.json()["items"]] == [a.id]
    missing = api.delete(f"{ITEMS}{b.id}/", headers=headers)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_in_cart"

    cleared = api.delete(CART, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json()["items"] == []


def test_patching_a_guest_cart_that_does_not_exist_is_a_404(api):
    sku = sellable_sku()

    response = api.patch(f"{ITEMS}{sku.id}/", {"quantity": 2}, format="json")

    assert response.status_code == 404


def test_a_customer_with_a_token_gets_the_same_cart_on_any_device():
    sku = sellable_sku()
    user = UserFactory()
    token = Token.objects.create(user=user).key
    phone, tablet = APIClient(), APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    tablet.force_login(user)

    added = add(phone, sku.id, 2)

    assert added.status_code == 201
    assert added.json()["token"] is None
    assert "X-Cart-Token" not in added
    assert tablet.get(CART).json()["item_count"] == 2
    assert services.item_count(CartOwner(user_id=user.pk)) == 2


def test_reading_a_customers_cart_is_a_bounded_number_of_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    user = UserFactory()
    token = Token.objects.create(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            add(client, sellable_sku().id)

    # token lookup, SKUs with current prices, stock; the lines come from Redis
    with django_assert_max_num_queries(4):
        assert len(client.get(CART).json()["items"]) == 6
