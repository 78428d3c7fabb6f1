"""Catalog REST API v1: shapes, bad input, cache-first reads and invalidation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.catalog import services
from shop.catalog.models import Category
from shop.core.http_cache import cache_stats
from shop.core.keyset import cursor_cache_part
from tests.factories import BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    clothing = CategoryFactory(name="Clothing", slug="clothing")
    women = CategoryFactory(name="Women", slug="women", parent=clothing)
    shoes = CategoryFactory(name="Footwear", slug="footwear")
    return {"clothing": Category.objects.get(id=clothing.id), "women": women, "shoes": shoes}


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_category_tree_nests_children_with_subtree_product_counts(client, tree):
    ProductFactory(category=tree["women"])
    ProductFactory(category=tree["clothing"])

    body = client.get("/api/v1/categories/").json()

    clothing = next(node for node in body["results"] if node["name"] == "Clothing")
    assert clothing["product_count"] == 2
    assert [child["name"] for child in clothing["children"]] == ["Women"]
    assert clothing["children"][0]["product_count"] == 1


def test_category_detail_has_ancestors_children_and_effective_schema(client, tree):
    tree["clothing"].attribute_schema = {"properties": {"Fabric": {"type": "string"}}}
    tree["clothing"].save()

    body = client.get(f"/api/v1/categories/{tree['women'].id}/").json()

    assert [a["name"] for a in body["ancestors"]] == ["Clothing"]
    assert "Fabric" in body["attribute_schema"]["properties"]


def test_unknown_category_is_a_json_404(client):
    response = client.get("/api/v1/categories/999999/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_absurd_product_id_is_a_404_not_an_overflow(client):
    assert client.get("/api/v1/products/99999999999999999999999/").status_code == 404
    assert client.get("/api/v1/products/999999999999999999/").status_code == 404


def test_products_of_a_category_include_its_subtree_sorted_by_price(client, tree):
    cheap = ProductFactory(category=tree["women"], price=Decimal("100"))
    dear = ProductFactory(category=tree["clothing"], price=Decimal("900"))
    ProductFactory(category=tree["shoes"], price=Decimal("50"))

    body = client.get(f"/api/v1/categories/{tree['clothing'].id}/products/?sort=price").json()

    assert [item["id"] for item in body["results"]] == [cheap.id, dear.id]
    assert body["results"][0]["price"] == "100.00"
    assert body["count"] == 2


def test_keyset_pages_walk_forward_and_back_without_gaps_or_repeats(client, tree):
    products = [ProductFactory(category=tree["women"], price=Decimal(p)) for p in [5, 5, 5, 7, 1, 9, 3, 3]]
    expected = [p.id for p in sorted(products, key=lambda p: (-p.price, -p.id))]
    url = f"/api/v1/categories/{tree['women'].id}/products/?sort=-price&page_size=3"

    seen, pages, cursor = [], [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        pages.append(body)
        seen += [item["id"] for item in body["results"]]
        cursor = body["next"]
        if not cursor:
            break
    back = client.get(url + f"&cursor={pages[-1]['previous']}").json()

    assert seen == expected
    assert [item["id"] for item in back["results"]] == [item["id"] for item in pages[-2]["results"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=cheapest", "sort"),
        ("page_size=0", "page_size"),
        ("page_size=1000", "page_size"),
        ("page_size=ten", "page_size"),
        ("cursor=not-a-cursor", "cursor"),
        ("brand=424242", "brand"),
        ("brand=-1", "brand"),
    ],
)
def test_invalid_list_parameters_are_a_400_naming_the_parameter(client, tree, query, field):
    response = client.get(f"/api/v1/categories/{tree['women'].id}/products/?{query}")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_products_can_be_filtered_by_brand(client, tree):
    acme = BrandFactory(name="Acme")
    mine = ProductFactory(category=tree["women"], brand=acme)
    ProductFactory(category=tree["women"])

    body = client.get(f"/api/v1/products/?brand={acme.id}").json()

    assert [item["id"] for item in body["results"]] == [mine.id]


def test_product_detail_has_skus_attributes_breadcrumbs_and_variant_options(client, tree):
    product = ProductFactory(
        category=tree["women"],
        skus=[{"variant_attributes": {"Size": "S"}}, {"variant_attributes": {"Size": "M"}, "price_override": "550"}],
    )

    body = client.get(f"/api/v1/products/{product.id}/").json()

    assert [crumb["name"] for crumb in body["breadcrumbs"]] == ["Clothing", "Women"]
    assert [sku["price"] for sku in body["skus"]] == ["499.00", "550.00"]
    assert body["variant_options"] == {"Size": ["S", "M"]}
    assert body["currency"] == "INR"
    assert body["images"][0]["url"].endswith(".svg")


def test_inactive_product_is_not_found(client, tree):
    product = ProductFactory(category=tree["women"], is_active=False)

    assert client.get(f"/api/v1/products/{product.id}/").status_code == 404


def test_product_detail_sends_etag_and_cdn_cache_headers_and_honours_if_none_match(client, tree):
    product = ProductFactory(category=tree["women"])
    first = client.get(f"/api/v1/products/{product.id}/")

    again = client.get(f"/api/v1/products/{product.id}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert "s-maxage=" in first["Cache-Control"]
    assert "public" in first["Cache-Control"]
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_warm_product_detail_is_served_without_touching_the_database(client, tree, django_assert_num_queries):
    product = ProductFactory(category=tree["women"])
    client.get(f"/api/v1/products/{product.id}/")

    with django_assert_num_queries(0):
        response = client.get(f"/api/v1/products/{product.id}/")

    assert response.status_code == 200
    assert cache_stats()["catalog.product"] == {"hit": 1, "miss": 1}


def test_cold_product_detail_and_list_use_a_bounded_number_of_queries(client, tree, django_assert_max_num_queries):
    products = [ProductFactory(category=tree["women"], skus=[{}, {}, {}]) for _ in range(10)]

    with django_assert_max_num_queries(6):
        client.get(f"/api/v1/products/{products[0].id}/")
    with django_assert_max_num_queries(5):
        client.get(f"/api/v1/categories/{tree['clothing'].id}/products/?page_size=50")


def test_price_change_invalidates_the_cached_product_and_lists(client, tree, django_capture_on_commit_callbacks):
    product = ProductFactory(category=tree["women"], price=Decimal("100"))
    list_url = f"/api/v1/categories/{tree['women'].id}/products/"
    before = client.get(f"/api/v1/products/{product.id}/")
    client.get(list_url)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_product(product.id, price=Decimal("80.00"))

    after = client.get(f"/api/v1/products/{product.id}/")
    assert after.json()["price"] == "80.00"
    assert after["ETag"] != before["ETag"]
    assert client.get(list_url).json()["results"][0]["price"] == "80.00"
    assert client.get(f"/api/v1/products/{product.id}/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_a_list_cursor_is_hashed_into_its_cache_key_whatever_a_client_sends():
    odd = cursor_cache_part("6\x88\U000e1b5d#v7\x00" * 50)

    assert len(odd) == 32
    assert odd.isalnum()
    assert cursor_cache_part(None) == "first"
    assert cursor_cache_part("abc") == cursor_cache_part("abc") != cursor_cache_part("abd")
