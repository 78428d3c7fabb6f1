"""The storefront search: results page, facet sidebar, "did you mean", empty help, click-through, autocomplete."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.search.models import SearchInteraction
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    watches = category_path("Watches", "Wrist Watches")
    items = [
        product("Titan Analog Watch", category=watches, brand="Titan", price=Decimal("2500"), fast_delivery=True),
        product("Fastrack Digital Watch", category=watches, brand="Fastrack", price=Decimal("900")),
    ]
    index(*items)
    return items


def test_every_page_has_the_search_box_with_live_autocomplete(client, catalog):
    for url in ("/", "/search/?q=watch"):
        page = client.get(url).content.decode()
        assert 'action="/search/"' in page
        assert "search/autocomplete" in page


def test_results_page_shows_count_results_and_facet_sidebar(client, catalog):
    page = client.get("/search/?q=watch").content.decode()

    assert "1\u20132 of 2 results" in page
    assert "Titan Analog Watch" in page
    assert "Fastrack Digital Watch" in page
    assert 'aria-label="Filters"' in page
    assert "Brand" in page
    assert "Fast delivery" in page
    assert "Price" in page
    assert "/search/?q=watch&amp;brand=Titan" in page  # a facet value is a link that adds its filter


def test_selected_facet_is_marked_and_its_link_removes_it(client, catalog):
    page = client.get("/search/?q=watch&brand=Titan").content.decode()

    assert "1\u20131 of 1 result" in page
    assert 'aria-current="true"' in page
    assert 'href="/search/?q=watch"' in page


def test_misspelling_shows_the_corrected_results_and_a_way_back(client, catalog):
    page = client.get("/search/?q=wach").content.decode()

    assert "No results for “wach”, so we show results for <strong>watch</strong>" in page
    assert "spell=0" in page


def test_no_results_page_helps(client, catalog):
    page = client.get("/search/?q=qqqzzzxxv").content.decode()

    assert "We found nothing for “qqqzzzxxv”" in page
    assert "Check the spelling" in page


def test_empty_search_page_invites_a_search(client, catalog):
    response = client.get("/search/?q=")

    assert response.status_code == 200
    assert "Type what you are looking for" in response.content.decode()


def test_bad_parameters_on_the_page_are_dropped_with_a_message_not_an_error(client, catalog):
    response = client.get("/search/?q=watch&price_min=-5&page=abc&sort=evil")

    assert response.status_code == 200
    page = response.content.decode()
    assert "price_min" in page
    assert "2 results" in page


def test_an_unknown_parameter_does_not_hide_the_message_about_a_bad_filter(client, catalog):
    page = client.get("/search/?utm_source=mail&q=watch&price_min=abc").content.decode()

    assert "We ignored the filter “price_min”: Must be a number." in page
    assert "We ignored the filter “utm_source”" not in page  # a tracking tag is not the shopper's mistake
    assert "2 results" in page


def test_huge_query_on_the_page_is_shortened(client, catalog):
    response = client.get("/search/", {"q": "watch " * 2000})

    assert response.status_code == 200
    assert "shortened" in response.content.decode()


def test_result_links_record_the_click_then_open_the_product(client, catalog):
    page = client.get("/search/?q=titan").content.decode()
    go = page.split('href="/search/go/')[1].split('"')[0].replace("&amp;", "&")

    response = client.get(f"/search/go/{go}")

    assert response.status_code == 302
    assert response["Location"].startswith(f"/p/{catalog[0].id}/")
    assert SearchInteraction.objects.get().product_id == catalog[0].id


def test_click_link_for_an_unknown_product_is_a_404(client, catalog):
    assert client.get("/search/go/00000000-0000-0000-0000-000000000000/999999/").status_code == 404
