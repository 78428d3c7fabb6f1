"""Storefront catalog pages: what a shopper sees, and friendly errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shop.accounts.models import User
from shop.catalog.models import Product
from shop.core.models import OutboxEvent
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    clothing = CategoryFactory(name="Clothing", slug="clothing")
    shirts = CategoryFactory(name="Shirts", slug="shirts", parent=clothing)
    return ProductFactory(
        name="Linen Shirt",
        slug="linen-shirt",
        category=shirts,
        price=Decimal("799"),
        list_price=Decimal("1299"),
        skus=[{"variant_attributes": {"Size": "M"}}, {"variant_attributes": {"Size": "L"}}],
    )


def test_home_lists_departments_and_popular_products(client, product):
    page = client.get("/").content.decode()

    assert "Clothing" in page
    assert "Linen Shirt" in page


def test_category_page_lists_subtree_products_with_sort_and_breadcrumbs(client, product):
    clothing = type(product.category).objects.get_parent(product.category)

    response = client.get(f"/c/{clothing.id}/clothing/?sort=-price")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Linen Shirt" in page
    assert '<span class="price">INR 799.00</span>' in page
    assert '<s class="list-price" aria-label="was">INR 1,299.00</s>' in page  # one money format on the card too
    assert "<title>Clothing · Shop</title>" in page
    assert 'value="-price" selected' in page


def test_category_page_links_to_its_products_on_the_search_page_with_facet_filters(client, product):
    page = client.get(f"/c/{product.category.id}/shirts/").content.decode()

    assert 'href="/search/?category=Clothing+%E2%80%BA+Shirts"' in page
    assert "Filter these products" in page


def test_category_page_ignores_a_bad_sort_or_cursor(client, product):
    response = client.get(f"/c/{product.category_id}/shirts/?sort=bogus&cursor=%%%")

    assert response.status_code == 200
    assert "Linen Shirt" in response.content.decode()


def test_wrong_slug_redirects_to_the_canonical_url(client, product):
    response = client.get(f"/p/{product.id}/old-name/")

    assert response.status_code == 301
    assert response["Location"] == f"/p/{product.id}/linen-shirt/"


def test_product_page_shows_price_was_price_variants_and_attributes(client, product):
    product.category.attribute_schema = {"properties": {"Fabric": {"type": "string"}}}
    product.category.save()
    Product.objects.filter(id=product.id).update(attributes={"Fabric": "Linen"})

    page = client.get(f"/p/{product.id}/linen-shirt/").content.decode()

    assert "INR 799.00" in page
    assert "1,299.00" in page
    assert "Size: M" in page
    assert "Size: L" in page
    assert "Fabric" in page
    assert "Linen" in page
    assert 'alt="Linen Shirt"' in page


def test_unknown_product_is_a_friendly_404_page(client, settings):
    settings.DEBUG = False

    response = client.get("/p/424242/nothing/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_placeholder_image_is_deterministic_svg(client, product):
    first = client.get(f"/catalog/images/{product.id}/0.svg")
    second = client.get(f"/catalog/images/{product.id}/0.svg")

    assert first["Content-Type"] == "image/svg+xml"
    assert first.content == second.content
    assert b"LS" in first.content


def test_staff_price_change_in_admin_publishes_price_changed(client, product):
    staff = User.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    sku_m, sku_l = product.skus.order_by("position")
    form = {
        "name": product.name,
        "slug": product.slug,
        "description": "",
        "brand": product.brand_id,
        "category": product.category_id,
        "price": "699.00",
        "list_price": "1299.00",
        "currency": "INR",
        "attributes": "{}",
        "initial-attributes": "{}",  # the admin's hidden copies of callable-default fields
        "is_active": "on",
        "skus-TOTAL_FORMS": "2",
        "skus-INITIAL_FORMS": "2",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    for index, sku in enumerate([sku_m, sku_l]):
        form |= {
            f"skus-{index}-id": sku.id,
            f"skus-{index}-product": product.id,
            f"skus-{index}-code": sku.code,
            f"skus-{index}-variant_attributes": json.dumps(sku.variant_attributes),
            f"initial-skus-{index}-variant_attributes": json.dumps(sku.variant_attributes),
            f"skus-{index}-price_override": "",
            f"skus-{index}-weight_grams": "400",
            f"skus-{index}-length_mm": "300",
            f"skus-{index}-width_mm": "200",
            f"skus-{index}-height_mm": "100",
            f"skus-{index}-is_active": "on",
            f"skus-{index}-position": str(index),
        }

    response = client.post(f"/admin/catalog/product/{product.id}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    changed = OutboxEvent.objects.get(event_type="catalog.ProductPriceChanged")
    assert (changed.payload["old_price"], changed.payload["new_price"]) == ("799.00", "699.00")
    assert OutboxEvent.objects.get(event_type="catalog.ProductUpdated").payload["fields"] == ["price"]
