"""Spelling correction from the catalog's own vocabulary, and the fallbacks when nothing matches."""

from __future__ import annotations

import pytest

from shop.search.dictionaries import correct
from shop.search.models import SearchTerm
from shop.search.params import SearchParams
from shop.search.services import search
from tests.factories_search import index, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    items = [
        product("Analog Wrist Watch", brand="Titan"),
        product("Cotton Kurta", brand="Biba"),
        product("Wireless Headphones", brand="Boat"),
        product("Wireless Mouse", brand="Logitech"),
    ]
    index(*items)
    return items


def test_vocabulary_is_built_from_names_brands_and_categories(catalog):
    words = set(SearchTerm.objects.values_list("term", flat=True))

    assert {"analog", "watch", "kurta", "wireless", "titan", "logitech", "misc"} <= words
    assert SearchTerm.objects.get(term="wireless").doc_freq == 2


def test_misspelled_words_are_corrected_to_catalog_words(catalog):
    assert correct(["wireles", "hedphones"]) == ["wireless", "headphones"]
    assert correct(["kurta"]) is None  # known words need nothing


def test_misspelled_query_retries_with_the_correction_automatically(catalog):
    result = search(SearchParams(q="cotton kurtta"), log=False)

    assert result.auto_corrected
    assert result.effective_query == "cotton kurta"
    assert [hit.name for hit in result.hits] == ["Cotton Kurta"]


def test_misspelling_with_a_second_word_still_retries_with_the_correction(catalog):
    result = search(SearchParams(q="wireless mouze"), log=False)

    assert result.auto_corrected
    assert result.hits[0].name == "Wireless Mouse"


def test_did_you_mean_when_the_original_words_still_find_products(catalog):
    result = search(SearchParams(q="wireless headphones mouze"), log=False)

    assert not result.auto_corrected
    assert result.did_you_mean == "wireless headphones mouse"
    assert result.hits[0].name == "Wireless Headphones"


def test_numbers_and_short_words_are_left_alone(catalog):
    assert correct(["16", "gb"]) is None


def test_fuzzy_name_matching_when_no_word_matches_and_no_correction_helps(catalog):
    result = search(SearchParams(q="headphonesx", spell=False), log=False)

    assert result.fuzzy
    assert [hit.name for hit in result.hits] == ["Wireless Headphones"]


def test_gibberish_finds_nothing_and_says_so(catalog):
    result = search(SearchParams(q="qqqzzzxxv"), log=False)

    assert result.total == 0
    assert not result.hits
    assert result.did_you_mean is None


def test_among_equally_close_words_the_one_that_goes_with_the_others_wins():
    index(
        product("Porter-Cable Nailer", brand=None),
        *(product(f"Power Drill {n}", brand=None) for n in range(5)),
        product("Ethernet Cable", brand=None),
    )

    assert correct(["cable", "poter"]) == ["cable", "porter"]  # "power" is as close and more frequent


def test_two_words_also_find_the_compound_the_catalog_uses(catalog):
    index(product("Vinyl Wallpaper Roll", brand=None))

    assert [hit.name for hit in search(SearchParams(q="wall paper"), log=False).hits] == ["Vinyl Wallpaper Roll"]
