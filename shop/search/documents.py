"""The Elasticsearch index of the search documents (django-elasticsearch-dsl).

Only used when ``ELASTICSEARCH_URL`` is set. The index is fed from the same
``SearchDocument`` rows the PostgreSQL backend searches (the projection pushes
changed rows after commit; ``rebuild_search_index`` bulk-loads everything);
model-signal syncing is off (settings), so nothing indexes behind the
projection's back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_elasticsearch_dsl import Document, Index, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import analyzer, token_filter

from shop.search.models import SearchDocument
from shop.search.params import MAX_RESULT_WINDOW

CATEGORY_LEVELS = 6

english_stemmer = token_filter("shop_english_stemmer", type="stemmer", language="english")
english_possessive = token_filter("shop_english_possessive", type="stemmer", language="possessive_english")
english_stop = token_filter("shop_english_stop", type="stop", stopwords="_english_")
shingles = token_filter("shop_shingles", type="shingle", min_shingle_size=2, max_shingle_size=3)
edge_ngrams = token_filter("shop_edge_ngrams", type="edge_ngram", min_gram=1, max_gram=20)

# Full text: the same treatment as PostgreSQL's "english" configuration (stop words, Porter-style stemming).
shop_english = analyzer(
    "shop_english",
    tokenizer="standard",
    filter=["lowercase", "asciifolding", english_possessive, english_stop, english_stemmer],
)
# Word shingles for the phrase suggester ("did you mean" over whole queries).
shop_shingles = analyzer("shop_shingles", tokenizer="standard", filter=["lowercase", "asciifolding", shingles])
# Prefixes of every word, for search-as-you-type matching inside names.
shop_prefix = analyzer("shop_prefix", tokenizer="standard", filter=["lowercase", "asciifolding", edge_ngrams])
shop_plain = analyzer("shop_plain", tokenizer="standard", filter=["lowercase", "asciifolding"])

products = Index(settings.SEARCH_INDEX_NAME)
products.settings(number_of_shards=1, number_of_replicas=1, max_result_window=MAX_RESULT_WINDOW)


@registry.register_document
@products.document
class ProductDocument(Document):
    product_id = fields.LongField()
    name = fields.TextField(
        analyzer=shop_english,
        fields={
            "raw": fields.KeywordField(),
            "shingles": fields.TextField(analyzer=shop_shingles),
            "prefix": fields.TextField(analyzer=shop_prefix, search_analyzer=shop_plain),
        },
    )
    slug = fields.KeywordField(index=False)
    description = fields.TextField(analyzer=shop_english)
    brand = fields.TextField(analyzer=shop_english, fields={"raw": fields.KeywordField()})
    category_text = fields.TextField(analyzer=shop_english)
    category_path = fields.KeywordField(multi=True)
    category_keys = fields.KeywordField(multi=True)
    # levels.l2 holds "A > B" (joined by CATEGORY_SEPARATOR): the category facet counts one level below the selection.
    category_levels = fields.ObjectField(
        properties={f"l{level}": fields.KeywordField() for level in range(1, CATEGORY_LEVELS + 1)}
    )
    attributes_text = fields.TextField(analyzer=shop_english)
    attribute_pairs = fields.NestedField(properties={"key": fields.KeywordField(), "value": fields.KeywordField()})
    price = fields.ScaledFloatField(scaling_factor=100)
    list_price = fields.ScaledFloatField(scaling_factor=100)
    currency = fields.KeywordField()
    fast_delivery = fields.BooleanField()
    availability = fields.KeywordField()
    in_stock = fields.BooleanField()
    rating_avg = fields.FloatField()
    rating_count = fields.IntegerField()
    created_at = fields.DateField()
    ctr = fields.FloatField()
    conversion_rate = fields.FloatField()
    popularity = fields.FloatField()
    # Autocomplete: the product name from each of its words, the brand and the category (completion suggester).
    suggest = fields.CompletionField(analyzer=shop_plain, contexts=[{"name": "kind", "type": "category"}])

    class Django:
        model = SearchDocument
        fields: list[str] = []
        queryset_pagination = 500

    def prepare(self, instance: SearchDocument) -> dict[str, Any]:
        """The document body. (django-elasticsearch-dsl 9.0 keeps its preparers in an attribute that
        elasticsearch 9.x's document class swallows, so they are rebuilt here.)"""
        return {name: prepare(instance) for name, _field, prepare in self.init_prepare()}

    def prepare_category_levels(self, instance: SearchDocument) -> dict[str, str]:
        return {f"l{i + 1}": key for i, key in enumerate(instance.category_keys[:CATEGORY_LEVELS])}

    def prepare_attribute_pairs(self, instance: SearchDocument) -> list[dict[str, str]]:
        return [{"key": str(key), "value": str(value)} for key, value in (instance.attributes or {}).items()]

    def prepare_suggest(self, instance: SearchDocument) -> list[dict[str, Any]]:
        words = instance.name.split()
        weight = max(1, int(10 * instance.popularity + instance.rating_count**0.5))
        entries = [
            {
                "input": [" ".join(words[i:]) for i in range(min(len(words), 6))],
                "weight": weight,
                "contexts": {"kind": ["product"]},
            }
        ]
        if instance.brand:
            entries.append({"input": [instance.brand], "weight": weight, "contexts": {"kind": ["brand"]}})
        if instance.category_path:
            entries.append(
                {"input": [instance.category_path[-1]], "weight": weight, "contexts": {"kind": ["category"]}}
            )
        return entries
