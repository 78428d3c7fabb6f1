"""Storefront: add to cart from the product page, the cart page, the header's mini-cart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from shop.catalog import services as catalog
from shop.inventory import services as inventory
from tests.factories import ProductFactory
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt():
    """A product with three sizes: M in stock, L low, XL out of stock."""
    product = ProductFactory(
        name="Linen Shirt",
        price=Decimal("799.00"),
        skus=[
            {"variant_attributes": {"Size": "M"}},
            {"variant_attributes": {"Size": "L"}},
            {"variant_attributes": {"Size": "XL"}},
        ],
    )
    m, large, _xl = product.skus.order_by("position")
    inventory.receive(m.id, warehouse().id, 40, reason="test")
    inventory.receive(large.id, warehouse().id, 2, reason="test")
    return product


def test_the_product_page_has_a_variant_picker_with_stock_per_option(client, shirt):
    m, large, xl = shirt.skus.order_by("position")

    page = client.get(f"/p/{shirt.id}/{shirt.slug}/").content.decode()

    assert 'action="/cart/add/"' in page
    assert '<label for="sku">Choose an option</label>' in page
    assert f'<option value="{m.id}">Size: M — INR 799.00 · In stock</option>' in page
    assert f'<option value="{large.id}">Size: L — INR 799.00 · Only 2 left</option>' in page
    assert f'<option value="{xl.id}" disabled>Size: XL — INR 799.00 · Out of stock</option>' in page
    assert '<label for="quantity">Quantity</label>' in page


def test_a_product_with_one_sku_posts_it_without_a_picker(client):
    sku = sellable_sku(stock=3)

    page = client.get(f"/p/{sku.product_id}/{sku.product.slug}/").content.decode()

    assert f'<input type="hidden" name="sku_id" value="{sku.id}">' in page
    assert "Only 3 left" in page


def test_adding_from_the_product_page_fills_the_cart_and_the_mini_cart(client, shirt):
    m = shirt.skus.get(position=0)

    response = client.post("/cart/add/", {"sku_id": m.id, "quantity": 2, "next": f"/p/{shirt.id}/"})

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert response.cookies[settings.CART_COOKIE_NAME]["httponly"]
    page = client.get("/cart/").content.decode()
    assert "Linen Shirt" in page
    assert "Size: M" in page
    assert "Subtotal (2 items)" in page
    assert "INR 1,598.00" in page
    assert 'class="cart-count" aria-hidden="true">2</span>' in page
    assert "Added to your cart." in page


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("0", "Quantity must be at least 1."), ("999", "You can buy at most 10 of an item."), ("x", "Choose an option")],
)
def test_a_bad_quantity_returns_to_the_product_page_with_the_reason(client, shirt, quantity, message):
    m = shirt.skus.get(position=0)
    back = f"/p/{shirt.id}/{shirt.slug}/"

    response = client.post("/cart/add/", {"sku_id": m.id, "quantity": quantity, "next": back}, follow=True)

    assert response.redirect_chain[0][0] == back
    assert message in response.content.decode()
    assert 'class="cart-count" aria-hidden="true">0</span>' in response.content.decode()


def test_an_out_of_stock_option_cannot_be_added(client, shirt):
    xl = shirt.skus.get(position=2)

    response = client.post("/cart/add/", {"sku_id": xl.id, "quantity": 1, "next": "/cart/"}, follow=True)

    assert "This item is out of stock." in response.content.decode()


def test_next_never_leaves_the_site(client, shirt):
    response = client.post("/cart/add/", {"sku_id": 0, "quantity": 1, "next": "https://evil.example/"})

    assert response["Location"] == "/cart/"


def test_update_and_remove_on_the_cart_page(client, shirt):
    m = shirt.skus.get(position=0)
    client.post("/cart/add/", {"sku_id": m.id, "quantity": 1})

    client.post(f"/cart/items/{m.id}/", {"quantity": 4})
    assert "Subtotal (4 items)" in client.get("/cart/").content.decode()
    page = client.post(f"/cart/items/{m.id}/", {"quantity": "-2"}, follow=True).content.decode()
    assert "Quantity must be at least 1." in page
    client.post(f"/cart/items/{m.id}/remove/")
    assert "Your cart is empty." in client.get("/cart/").content.decode()


def test_the_cart_page_shows_a_price_that_changed_since_it_was_added(client):
    sku = sellable_sku("500.00")
    client.post("/cart/add/", {"sku_id": sku.id, "quantity": 1})

    catalog.update_product(sku.product_id, price=Decimal("450.00"))
    page = client.get("/cart/").content.decode()

    assert "Some prices changed since you added the items" in page
    assert "was INR 500.00 when added" in page
    assert "INR 450.00" in page


def test_the_cart_page_is_never_cached_by_shared_caches(client):
    assert client.get("/cart/")["Cache-Control"] == "private, no-store"


def test_a_signed_in_customers_cart_page(client):
    sku = sellable_sku()
    client.force_login(UserFactory())
    client.post("/cart/add/", {"sku_id": sku.id, "quantity": 3})

    page = client.get("/cart/").content.decode()

    assert settings.CART_COOKIE_NAME not in client.cookies
    assert "Subtotal (3 items)" in page
    assert "Hello, Asha" in page
