"""Search REST API v1: shapes, bad input, bounded cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.search.models import SearchInteraction
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    watches = category_path("Watches")
    items = [
        product("Titan Analog Watch", category=watches, brand="Titan", price=Decimal("2500"), fast_delivery=True),
        product("Fastrack Digital Watch", category=watches, brand="Fastrack", price=Decimal("900")),
        product("Cotton Kurta", category=category_path("Clothing"), brand="Biba", price=Decimal("700")),
    ]
    index(*items)
    return items


def error_of(response) -> dict:
    assert 400 <= response.status_code < 500
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_search_returns_results_facets_counts_and_a_query_id(client, catalog):
    body = client.get("/api/v1/search/?q=watch&page_size=1").json()

    assert body["count"] == 2
    assert body["num_pages"] == 2
    assert body["next"] == "?q=watch&page_size=1&page=2"
    assert body["previous"] is None
    assert body["query_id"]
    hit = body["results"][0]
    assert {
        "id",
        "name",
        "url",
        "image",
        "brand",
        "price",
        "currency",
        "rating_avg",
        "availability",
        "position",
    } <= set(hit)
    assert hit["url"].startswith("/p/")
    assert hit["price"] in ("2500.00", "900.00")
    brand = next(f for f in body["facets"] if f["name"] == "brand")
    assert {v["value"]: v["count"] for v in brand["values"]} == {"Titan": 1, "Fastrack": 1}
    price = next(f for f in body["facets"] if f["name"] == "price")
    assert {"min", "max"} <= set(price["values"][0])


def test_filters_and_sorts_by_parameters(client, catalog):
    body = client.get("/api/v1/search/?q=watch&brand=Fastrack&sort=-price").json()

    assert [r["name"] for r in body["results"]] == ["Fastrack Digital Watch"]


def test_browsing_by_filter_alone_needs_no_words(client, catalog):
    body = client.get("/api/v1/search/?category=Clothing").json()

    assert [r["name"] for r in body["results"]] == ["Cotton Kurta"]


def test_spelling_correction_is_reported(client, catalog):
    body = client.get("/api/v1/search/?q=kurtaa").json()

    assert body["auto_corrected"]
    assert body["effective_query"] == "kurta"
    assert [r["name"] for r in body["results"]] == ["Cotton Kurta"]


def test_facets_endpoint_counts_without_results_and_picks_facets(client, catalog):
    body = client.get("/api/v1/search/facets/?q=watch&facets=brand,fast_delivery").json()

    assert body["count"] == 2
    assert [f["name"] for f in body["facets"]] == ["brand", "fast_delivery"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("q=", "empty_query", "q"),
        ("q=%20%20%20", "empty_query", "q"),
        ("q=" + "x" * 10_000, "query_too_long", "q"),
        ("q=watch&price_min=-10", "invalid_parameter", "price_min"),
        ("q=watch&price_min=500&price_max=100", "invalid_parameter", "price_max"),
        ("q=watch&price_max=NaN", "invalid_parameter", "price_max"),
        ("q=watch&price_max=1e400", "invalid_parameter", "price_max"),
        ("q=watch&rating=9", "invalid_parameter", "rating"),
        ("q=watch&sort=random()", "invalid_parameter", "sort"),
        ("q=watch&page=0", "invalid_parameter", "page"),
        ("q=watch&page=99999", "invalid_parameter", "page"),
        ("q=watch&page_size=1000", "invalid_parameter", "page_size"),
        ("q=watch&fast_delivery=maybe", "invalid_parameter", "fast_delivery"),
        ("q=watch&colour=red", "unknown_parameter", "colour"),
    ],
)
def test_bad_input_is_a_clear_400(client, catalog, query, code, field):
    error = error_of(client.get(f"/api/v1/search/?{query}"))

    assert error["code"] == code
    assert field in error["fields"]


def test_unknown_facet_name_is_a_400(client, catalog):
    error = error_of(client.get("/api/v1/search/facets/?q=watch&facets=brand,colour"))

    assert error["code"] == "unknown_facet"
    assert "colour" in error["message"]


def test_too_many_filter_values_are_refused(client, catalog):
    brands = "&".join(f"brand=b{n}" for n in range(50))

    assert error_of(client.get(f"/api/v1/search/?q=watch&{brands}"))["fields"]["brand"]


@pytest.mark.parametrize(
    "hostile",
    [
        "watch' OR 1=1 --",
        "watch); DROP TABLE search_searchdocument; --",
        "watch & !analog | (digital:*)",
        'title:"watch" AND brand:titan~2 OR *',
        "<script>alert(1)</script>",
        "\x00watch\x07",
        "%%%%____",
        "\uff57\uff41\uff54\uff43\uff48",  # "watch" in full-width letters: NFKC makes them ASCII
    ],
)
def test_hostile_queries_give_sane_results(client, catalog, hostile):
    response = client.get("/api/v1/search/", {"q": hostile})

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


def test_full_width_query_finds_the_ascii_product(client, catalog):
    assert client.get("/api/v1/search/", {"q": "\uff57\uff41\uff54\uff43\uff48"}).json()["count"] == 2


def test_hot_search_endpoint_is_bounded_in_queries(client, catalog, django_assert_max_num_queries):
    client.get("/api/v1/search/?q=watch&brand=Titan")
    with django_assert_max_num_queries(13):
        assert client.get("/api/v1/search/?q=analog watch&brand=Titan&price_min=10").status_code == 200


def test_click_endpoint_records_a_click_on_a_shown_result(client, catalog):
    body = client.get("/api/v1/search/?q=watch").json()
    shown = body["results"][0]

    response = client.post(
        "/api/v1/search/clicks/",
        {"query_id": body["query_id"], "product_id": shown["id"], "position": 1},
        content_type="application/json",
    )

    assert response.status_code == 204
    assert SearchInteraction.objects.get().product_id == shown["id"]


def test_click_endpoint_rejects_unknown_searches_and_bad_bodies(client, catalog):
    body = client.get("/api/v1/search/?q=watch").json()
    kurta = catalog[2].id

    not_shown = client.post(
        "/api/v1/search/clicks/", {"query_id": body["query_id"], "product_id": kurta}, content_type="application/json"
    )
    malformed = client.post("/api/v1/search/clicks/", {"query_id": "x"}, content_type="application/json")

    assert error_of(not_shown)["code"] == "unknown_search"
    assert set(error_of(malformed)["fields"]) == {"query_id", "product_id"}
    assert not SearchInteraction.objects.exists()
