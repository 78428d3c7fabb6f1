"""The Elasticsearch backend without a cluster: the index mapping, the request
bodies and the parsing of responses (none of this has run against a live cluster)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.search.backends import elastic
from shop.search.backends.postgres import price_ranges
from shop.search.documents import ProductDocument, products
from shop.search.models import SearchDocument
from shop.search.params import SearchParams
from shop.search.text import CATEGORY_SEPARATOR as SEP
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


def test_index_mapping_declares_analyzers_and_every_searchable_field():
    mapping = products.to_dict()
    analysis = mapping["settings"]["analysis"]
    properties = mapping["mappings"]["properties"]

    assert {"shop_english", "shop_shingles", "shop_prefix", "shop_plain"} <= set(analysis["analyzer"])
    assert analysis["filter"]["shop_english_stemmer"] == {"type": "stemmer", "language": "english"}
    assert properties["name"]["analyzer"] == "shop_english"
    assert properties["name"]["fields"]["raw"] == {"type": "keyword"}
    assert properties["name"]["fields"]["shingles"]["analyzer"] == "shop_shingles"
    assert properties["brand"]["fields"]["raw"] == {"type": "keyword"}
    assert properties["attribute_pairs"]["type"] == "nested"
    assert properties["price"] == {"type": "scaled_float", "scaling_factor": 100}
    assert properties["suggest"]["type"] == "completion"
    assert properties["category_levels"]["properties"]["l2"] == {"type": "keyword"}
    assert mapping["settings"]["max_result_window"] == 1000


def test_documents_are_prepared_from_the_search_read_model():
    watches = category_path("Watches", "Wrist Watches")
    item = product("Titan Analog Watch", category=watches, brand="Titan", attributes={"Dial Color": "Black"})
    index(item)

    [action] = elastic.bulk_actions(list(SearchDocument.objects.all()), "shop-products")

    source = action["_source"]
    assert action["_id"] == item.id
    assert action["_op_type"] == "index"
    assert source["name"] == "Titan Analog Watch"
    assert source["category_levels"] == {"l1": "Watches", "l2": f"Watches{SEP}Wrist Watches"}
    assert source["attribute_pairs"] == [{"key": "Dial Color", "value": "Black"}]
    assert {"input": ["Titan"], "weight": 1, "contexts": {"kind": ["brand"]}} in source["suggest"]
    assert source["suggest"][0]["input"] == ["Titan Analog Watch", "Analog Watch", "Watch"]


def test_search_body_matches_words_over_boosted_fields_with_behaviour_scoring():
    body = elastic.search_body(SearchParams(q="analog watch"), ["analog", "watch"], limit=24, offset=24, ranges=[])

    function_score = body["query"]["function_score"]
    multi_match = function_score["query"]["multi_match"]
    assert multi_match["query"] == "analog watch"
    assert multi_match["fields"][0] == "name^4"
    assert multi_match["minimum_should_match"] == "2<-1 4<70%"
    assert {"ctr", "conversion_rate", "popularity", "rating_avg"} <= {
        f["field_value_factor"]["field"] for f in function_score["functions"] if "field_value_factor" in f
    }
    assert (body["from"], body["size"]) == (24, 24)
    assert body["sort"][0] == "_score"


def test_relaxed_and_fuzzy_bodies():
    relaxed = elastic.search_body(SearchParams(q="a b c"), ["a", "b", "c"], limit=10, offset=0, ranges=[], relaxed=True)
    fuzzy = elastic.search_body(SearchParams(q="wach"), ["wach"], limit=10, offset=0, ranges=[], fuzzy=True)

    assert relaxed["query"]["function_score"]["query"]["multi_match"]["minimum_should_match"] == "1"
    assert fuzzy["query"]["function_score"]["query"]["multi_match"]["fuzziness"] == "AUTO"


def test_filters_go_to_post_filter_and_each_facet_counts_under_the_other_filters():
    params = SearchParams(
        q="watch",
        brands=("Titan",),
        fast_delivery=True,
        price_min=Decimal("100"),
        attributes=(("Dial Color", ("Black",)),),
        category="Watches",
    )
    body = elastic.search_body(params, ["watch"], limit=10, offset=0, ranges=price_ranges())

    assert len(body["post_filter"]["bool"]["filter"]) == 5
    brand_filters = body["aggs"]["brand"]["filter"]["bool"]["filter"]
    assert {"terms": {"brand.raw": ["Titan"]}} not in brand_filters
    assert {"term": {"fast_delivery": True}} in brand_filters
    assert {"term": {"fast_delivery": True}} not in body["aggs"]["fast_delivery"]["filter"]["bool"]["filter"]
    assert body["aggs"]["price"]["aggs"]["values"]["range"]["ranges"][0] == {"key": "0", "to": 500.0}
    assert body["aggs"]["category"]["aggs"]["values"]["terms"]["field"] == "category_levels.l2"
    own = body["aggs"]["attribute_0"]["filter"]["bool"]["filter"]
    assert elastic.attribute_clause("Dial Color", ["Black"]) not in own


def test_a_response_becomes_the_same_result_types_as_postgres():
    params = SearchParams(q="watch", brands=("Titan",))
    response = {
        "hits": {"total": {"value": 2}, "hits": [{"_id": "7", "_score": 3.5}, {"_id": "9", "_score": 1.0}]},
        "aggregations": {
            "brand": {"values": {"buckets": [{"key": "Titan", "doc_count": 2}, {"key": "Sonata", "doc_count": 1}]}},
            "category": {"values": {"buckets": [{"key": "Watches", "doc_count": 2}]}},
            "top_category": {"values": {"buckets": [{"key": "Watches", "doc_count": 2}]}},
            "price": {"values": {"buckets": [{"key": "0", "doc_count": 1}, {"key": "1", "doc_count": 1}]}},
            "rating": {"values": {"buckets": {"4": {"doc_count": 1}, "3": {"doc_count": 2}}}},
            "fast_delivery": {"values": {"doc_count": 1}},
            "in_stock": {"values": {"doc_count": 2}},
            "attributes": {
                "pairs": {
                    "keys": {
                        "buckets": [{"key": "Dial Color", "values": {"buckets": [{"key": "Black", "doc_count": 2}]}}]
                    }
                }
            },
        },
    }

    ranked = elastic.parse_search(params, response, price_ranges(), strict=True)

    assert (ranked.ids, ranked.total, ranked.strict_total) == ([7, 9], 2, 2)
    facets = {f.name: {v.label: (v.count, v.selected) for v in f.values} for f in ranked.facets}
    assert facets["brand"] == {"Titan": (2, True), "Sonata": (1, False)}
    assert facets["rating"]["4★ & up"] == (1, False)
    assert facets["attr.Dial Color"] == {"Black": (2, False)}
    assert facets["price"]["Under 500"] == (1, False)


def test_spelling_and_autocomplete_requests_and_answers():
    spelling = elastic.spelling_body(["wach", "for", "men"])
    assert spelling["suggest"]["text"] == "wach for men"
    assert spelling["suggest"]["spelling"]["phrase"]["field"] == "name.shingles"
    answer = {"suggest": {"spelling": [{"options": [{"text": "watch for men", "score": 0.4}]}]}}
    assert elastic.parse_spelling(["wach", "for", "men"], answer) == ["watch", "for", "men"]

    completion = elastic.suggest_body("sams", 10)
    assert completion["suggest"]["brand"]["completion"]["contexts"] == {"kind": ["brand"]}
    answer = {
        "suggest": {
            "brand": [{"options": [{"text": "Samsung", "_id": "3", "_source": {"brand": "Samsung"}}]}],
            "product": [
                {
                    "options": [
                        {"text": "Samsung Galaxy", "_id": "3", "_source": {"name": "Samsung Galaxy S5", "slug": "s5"}}
                    ]
                }
            ],
        }
    }
    assert [(s.kind, s.text) for s in elastic.parse_suggest(answer, 10)] == [
        ("brand", "Samsung"),
        ("product", "Samsung Galaxy S5"),
    ]


def test_elasticsearch_is_selected_only_when_configured(settings):
    from shop.search.backends import get_backend

    settings.ELASTICSEARCH_URL = ""
    assert get_backend().name == "postgres"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    assert get_backend().name == "elasticsearch"  # built lazily: nothing is contacted until a search
    assert ProductDocument.Django.model is SearchDocument
