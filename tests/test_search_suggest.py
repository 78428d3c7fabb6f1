"""Autocomplete: popular searches, categories, brands and product names for a prefix."""

from __future__ import annotations

import pytest

from shop.search import behaviour, dictionaries
from shop.search.params import SearchParams
from shop.search.services import search, suggest
from shop.search.text import CATEGORY_SEPARATOR as SEP
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    phones = category_path("Mobiles", "Smartphones")
    items = [
        product("Samsung Galaxy S5", category=phones, brand="Samsung", rating_count=50),
        product("Samsung Galaxy Note", category=phones, brand="Samsung"),
        product("Sandisk Memory Card", brand="Sandisk"),
    ]
    index(*items)
    return items


def kinds(suggestions) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in suggestions]


def test_prefix_suggests_brands_and_product_names(catalog):
    found = kinds(suggest("sam"))

    assert ("brand", "Samsung") in found
    assert ("product", "Samsung Galaxy S5") in found
    assert ("brand", "Sandisk") not in found


def test_a_word_inside_a_name_matches_and_earlier_words_must_be_complete(catalog):
    assert ("product", "Samsung Galaxy Note") in kinds(suggest("galaxy no"))
    assert kinds(suggest("samsung gal"))[0][1].startswith("Samsung Galaxy")
    assert not suggest("sam galaxy")  # "sam" is not a whole word of anything


def test_categories_are_suggested_with_their_path(catalog):
    smart = [s for s in suggest("smart") if s.kind == "category"]

    assert smart
    assert smart[0].text == "Smartphones"
    assert smart[0].params["category"] == f"Mobiles{SEP}Smartphones"


def test_popular_past_queries_are_suggested_once_searched_enough(catalog):
    for _ in range(3):
        search(SearchParams(q="samsung galaxy"))
    behaviour.process_pending()
    dictionaries.refresh()

    assert kinds(suggest("samsung g"))[0] == ("query", "samsung galaxy")


def test_queries_that_found_nothing_are_never_suggested(catalog):
    for _ in range(3):
        search(SearchParams(q="samsonite luggage"))
    behaviour.process_pending()
    dictionaries.refresh()

    assert ("query", "samsonite luggage") not in kinds(suggest("samso"))


def test_suggestions_are_cached_until_the_dictionaries_change(catalog, django_assert_num_queries):
    suggest("sam")
    with django_assert_num_queries(0):
        suggest("sam")

    product_new = product("Samurai Sword Letter Opener", brand="Samurai")
    index(product_new)  # refresh bumps the dictionary version

    assert ("brand", "Samurai") in kinds(suggest("sam"))


def test_suggest_api_answers_with_urls_and_cache_headers(client, catalog):
    response = client.get("/api/v1/search/suggest/?q=sams")

    body = response.json()
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    assert response["ETag"]
    brand = next(s for s in body["suggestions"] if s["kind"] == "brand")
    assert brand["url"] == "/search/?brand=Samsung"
    product_url = next(s for s in body["suggestions"] if s["kind"] == "product")["url"]
    assert product_url.startswith("/p/")
    assert client.get("/api/v1/search/suggest/?q=sams", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_suggest_api_warm_read_touches_no_database(client, catalog, django_assert_num_queries):
    client.get("/api/v1/search/suggest/?q=gal")
    with django_assert_num_queries(0):
        assert client.get("/api/v1/search/suggest/?q=gal").status_code == 200


def test_suggest_api_rejects_huge_prefixes_and_bad_limits(client, catalog):
    assert client.get("/api/v1/search/suggest/?q=" + "a" * 5000).json()["error"]["code"] == "query_too_long"
    assert client.get("/api/v1/search/suggest/?q=a&limit=500").status_code == 400
    assert client.get("/api/v1/search/suggest/?q=%27%3B%20DROP%20TABLE%20x%3B%20--").status_code == 200
