"""Full-text search over the PostgreSQL backend: matching, ranking, pages, sorts and facets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from shop.search.params import SearchParams, parse
from shop.search.services import search
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


def names(result) -> list[str]:
    return [hit.name for hit in result.hits]


def facet(result, name: str) -> dict[str, int]:
    found = next((f for f in result.facets if f.name == name), None)
    return {v.label: v.count for v in found.values} if found else {}


def run(query: str, **params) -> object:
    parsed, errors = parse(QueryDict(query))
    assert not errors, errors.fields
    return search(parsed, log=False)


@pytest.fixture
def catalog():
    watches = category_path("Watches", "Wrist Watches")
    shoes = category_path("Footwear", "Running Shoes")
    items = [
        product(
            "Titan Analog Watch for Men",
            category=watches,
            brand="Titan",
            price=Decimal("2500"),
            rating_avg=Decimal("4.5"),
            rating_count=40,
            fast_delivery=True,
            attributes={"Dial Color": "Black"},
        ),
        product(
            "Fastrack Digital Watch",
            category=watches,
            brand="Fastrack",
            price=Decimal("900"),
            rating_avg=Decimal("3.9"),
            rating_count=10,
            attributes={"Dial Color": "White"},
        ),
        product(
            "Sonata Analog Watch for Women",
            category=watches,
            brand="Sonata",
            price=Decimal("1200"),
            rating_avg=Decimal("4.1"),
            rating_count=5,
            fast_delivery=True,
            attributes={"Dial Color": "Black"},
        ),
        product(
            "Nike Running Shoes",
            category=shoes,
            brand="Nike",
            price=Decimal("4200"),
            rating_avg=Decimal("4.6"),
            rating_count=100,
            fast_delivery=True,
        ),
        product(
            "Leather Strap",
            category=watches,
            brand="Titan",
            price=Decimal("300"),
            description="A replacement strap for any analog watch",
        ),
    ]
    index(*items)
    return items


def test_words_match_name_brand_category_and_description(catalog):
    assert set(names(run("q=titan"))) == {"Titan Analog Watch for Men", "Leather Strap"}
    assert names(run("q=running shoes")) == ["Nike Running Shoes"]
    assert "Leather Strap" in names(run("q=replacement"))


def test_a_name_match_outranks_a_description_match(catalog):
    ranked = names(run("q=analog watch"))

    assert ranked.index("Leather Strap") > ranked.index("Titan Analog Watch for Men")
    assert ranked.index("Leather Strap") > ranked.index("Sonata Analog Watch for Women")


def test_english_stemming_matches_plural_and_singular(catalog):
    assert "Titan Analog Watch for Men" in names(run("q=watches"))


def test_products_with_every_word_come_before_those_with_some(catalog):
    ranked = names(run("q=analog watch women"))

    assert ranked[0] == "Sonata Analog Watch for Women"
    assert "Fastrack Digital Watch" in ranked  # fewer than 50 full matches: partial ones follow


def test_pages_are_bounded_and_do_not_overlap(catalog):
    first = run("q=watch&page_size=2")
    second = run("q=watch&page_size=2&page=2")

    assert first.total == second.total == 4
    assert len(first.hits) == len(second.hits) == 2
    assert not set(names(first)) & set(names(second))
    assert [h.position for h in second.hits] == [3, 4]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "price",
            ["Leather Strap", "Fastrack Digital Watch", "Sonata Analog Watch for Women", "Titan Analog Watch for Men"],
        ),
        (
            "-price",
            ["Titan Analog Watch for Men", "Sonata Analog Watch for Women", "Fastrack Digital Watch", "Leather Strap"],
        ),
        (
            "rating",
            ["Titan Analog Watch for Men", "Sonata Analog Watch for Women", "Fastrack Digital Watch", "Leather Strap"],
        ),
    ],
)
def test_sorts_order_the_matches(catalog, sort, expected):
    assert names(run(f"q=watch&sort={sort}")) == expected


def test_newest_sort_puts_the_latest_product_first(catalog):
    latest = product("Brand New Watch", category=category_path("Watches", "Wrist Watches"))
    index(latest)

    assert names(run("q=watch&sort=newest"))[0] == "Brand New Watch"


def test_facets_count_every_dimension(catalog):
    result = run("q=watch")

    assert facet(result, "brand") == {"Titan": 2, "Fastrack": 1, "Sonata": 1}
    assert facet(result, "category") == {"Watches": 4}
    assert facet(result, "fast_delivery") == {"Fast delivery": 2}
    assert facet(result, "in_stock") == {"In stock": 4}
    assert facet(result, "rating") == {"4★ & up": 2, "3★ & up": 3, "2★ & up": 3, "1★ & up": 3}
    assert facet(result, "price") == {
        "Under 500": 1,
        "500 \u2013 1,000": 1,
        "1,000 \u2013 2,500": 1,
        "2,500 \u2013 5,000": 1,
    }


def test_facet_counts_stay_right_when_filters_combine(catalog):
    result = run("q=watch&brand=Titan&fast_delivery=1")

    assert names(result) == ["Titan Analog Watch for Men"]
    # Each facet counts under every *other* filter: the brands with fast delivery...
    assert facet(result, "brand") == {"Titan": 1, "Sonata": 1}
    # ...and fast delivery among Titan's watches.
    assert facet(result, "fast_delivery") == {"Fast delivery": 1}
    assert result.total == 1


def test_brand_values_combine_with_or(catalog):
    assert set(names(run("q=watch&brand=Titan&brand=Sonata"))) == {
        "Titan Analog Watch for Men",
        "Leather Strap",
        "Sonata Analog Watch for Women",
    }


def test_category_filter_takes_the_subtree_and_the_facet_drills_down(catalog):
    result = run("q=&category=Watches")

    assert result.total == 4
    assert facet(result, "category") == {"Wrist Watches": 4}


def test_price_range_and_rating_filters(catalog):
    assert names(run("q=watch&price_min=800&price_max=1500&sort=price")) == [
        "Fastrack Digital Watch",
        "Sonata Analog Watch for Women",
    ]
    assert set(names(run("q=watch&rating=4"))) == {"Titan Analog Watch for Men", "Sonata Analog Watch for Women"}


def test_in_stock_filter_leaves_out_sold_out_products(catalog):
    from shop.catalog import services as catalog_services

    catalog_services.set_availability(catalog[1].id, "out_of_stock")
    index(catalog[1])

    assert "Fastrack Digital Watch" not in names(run("q=watch&in_stock=1"))
    assert facet(run("q=watch"), "in_stock") == {"In stock": 3}


def test_attribute_facets_of_the_current_category_count_and_filter(catalog):
    result = run("q=watch&category=Watches")

    assert facet(result, "attr.Dial Color") == {"Black": 2, "White": 1}
    filtered = run("q=watch&category=Watches&attr.Dial Color=Black")
    assert set(names(filtered)) == {"Titan Analog Watch for Men", "Sonata Analog Watch for Women"}
    assert facet(filtered, "attr.Dial Color") == {"Black": 2, "White": 1}  # its own filter does not shrink it


def test_a_dominant_category_makes_its_attributes_facets_without_a_filter(catalog):
    assert facet(run("q=watch"), "attr.Dial Color") == {"Black": 2, "White": 1}


def test_unknown_attribute_filter_finds_nothing_rather_than_failing(catalog):
    assert run("q=watch&attr.Nonexistent=x").total == 0


def test_only_stop_words_find_nothing_sane(catalog):
    result = search(SearchParams(q="the of and"), log=False)

    assert result.total >= 0  # no error; fuzzy name matching may still find something


def test_search_is_bounded_in_queries(catalog, django_assert_max_num_queries):
    parsed, _ = parse(QueryDict("q=analog watch&brand=Titan&price_min=100&rating=3"))
    search(parsed, log=False)  # warm the price ranges and ranker state

    with django_assert_max_num_queries(12):  # 9 statements + the log's savepoint and SET LOCAL
        search(parsed)
