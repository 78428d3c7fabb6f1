"""Recommendations REST API v1: the three lookups and the view beacon."""

from __future__ import annotations

import pytest

from shop.accounts.models import User
from shop.core.redis import get_redis
from shop.recs import interactions, serving
from shop.recs.clients import make_request_client
from tests.factories_recs import World, build_world, small_world_als  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_world_als")]


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def customer_one(client):
    """Signed in as customer 1 of the world (who lacks only the kettle among tea things)."""
    user = User.objects.create_user(id=1, username="one", email="one@example.com", password="x")
    client.force_login(user)
    return user


def result_ids(response) -> list[int]:
    return [item["product_id"] for item in response.json()["results"]]


def test_a_signed_in_customer_gets_their_recommendations(client, world, customer_one):
    response = client.get("/api/v1/recs/for-you/?limit=2")

    body = response.json()
    assert response.status_code == 200
    assert body["source"] == "personal"
    assert body["model_version"] == world.version.id
    assert body["results"][0] == {
        "product_id": world.kettle.id,
        "name": "Kettle",
        "brand": world.kettle.brand.name,
        "price": "100.00",
        "currency": "INR",
        "url": f"/p/{world.kettle.id}/kettle/",
        "image_url": f"/catalog/images/{world.kettle.id}/0.svg",
    }
    assert "private" in response["Cache-Control"]


def test_a_guest_gets_popular_products_without_any_database_query(client, world, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/api/v1/recs/for-you/")

    assert response.status_code == 200
    assert response.json()["source"] == "popular"
    assert len(response.json()["results"]) == 8


def test_excluded_products_are_left_out(client, world, customer_one):
    response = client.get(f"/api/v1/recs/for-you/?exclude={world.kettle.id}")

    assert world.kettle.id not in result_ids(response)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=51", "limit"),
        ("exclude=1,x", "exclude"),
        ("exclude=-4", "exclude"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, world, query, field):
    response = client.get(f"/api/v1/recs/for-you/?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert field in response.json()["error"]["fields"]


def test_too_many_ids_are_a_400(client, world):
    ids = ",".join(str(i) for i in range(1, 52))

    response = client.get(f"/api/v1/recs/cart/?product_ids={ids}")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"product_ids": ["At most 50 ids."]}


def test_customers_who_bought_this_also_bought(client, world, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(f"/api/v1/recs/products/{world.teapot.id}/also-bought/?limit=3")

    assert response.json()["source"] == "related"
    assert set(result_ids(response)) == world.tea_things - {world.teapot.id}


def test_an_unknown_product_gets_popular_products_not_an_error(client, world):
    response = client.get("/api/v1/recs/products/999999999/also-bought/")

    assert response.status_code == 200
    assert response.json()["source"] == "popular"
    assert result_ids(response)


def test_related_to_items_in_the_cart(client, world):
    response = client.get(f"/api/v1/recs/cart/?product_ids={world.tent.id},{world.stove.id}&limit=2")

    assert response.json()["source"] == "cart"
    assert set(result_ids(response)) == {world.lamp.id, world.mat.id}


def test_with_redis_down_lookups_are_an_empty_200(client, world, monkeypatch):
    monkeypatch.setattr(serving, "request_redis", lambda: make_request_client("redis://127.0.0.1:1/0"))

    response = client.get(f"/api/v1/recs/products/{world.teapot.id}/also-bought/")

    assert response.status_code == 200
    assert response.json() == {"source": "unavailable", "model_version": None, "results": []}


def test_with_no_model_yet_lookups_are_an_empty_200(client, db):
    response = client.get("/api/v1/recs/for-you/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_app_records_a_view_and_gets_a_visitor_id_to_keep(client, world):
    response = client.post("/api/v1/recs/views/", {"product_id": world.tent.id}, content_type="application/json")

    assert response.status_code == 202
    visitor_id = response["X-Visitor-Id"]
    assert len(visitor_id) >= 16
    assert get_redis().llen(interactions.VIEW_BUFFER_KEY) == 1
    # Sent back as a header, the id steers the next lookup with that view.
    again = client.get("/api/v1/recs/for-you/?limit=3", headers={"X-Visitor-Id": visitor_id})
    assert again.json()["source"] == "related"
    assert set(result_ids(again)) == world.camping_things - {world.tent.id}


@pytest.mark.parametrize("body", [{}, {"product_id": "abc"}, {"product_id": 0}, {"product_id": 10**19}])
def test_an_invalid_view_is_a_400_with_the_field(client, world, body):
    response = client.post("/api/v1/recs/views/", body, content_type="application/json")

    assert response.status_code == 400
    assert "product_id" in response.json()["error"]["fields"]
    assert get_redis().llen(interactions.VIEW_BUFFER_KEY) == 0
