"""Elasticsearch search, selected by ``ELASTICSEARCH_URL``: the same features as the
PostgreSQL backend, expressed as Elasticsearch requests.

- words: ``multi_match`` over name, brand, category, attributes and description
  with field boosts and the same minimum-should-match rule (``2<-1 4<70%``),
  relaxed to any word when fewer than ``RELAX_BELOW`` products have them;
  ``fuzziness: AUTO`` for the fuzzy fallback;
- behaviour: a ``function_score`` multiplying relevance by CTR, conversion,
  popularity, Bayesian rating and stock, like the PostgreSQL base score;
- facets: the query carries only the words; every filter sits in ``post_filter``
  and each facet's aggregation is wrapped in a ``filter`` aggregation of all the
  *other* filters, so counts stay right when filters combine;
- spelling: a phrase suggester over word shingles of product names;
- autocomplete: a completion suggester with kind contexts.

The request bodies are built by pure functions (tested without a cluster); the
client is only touched in :class:`ElasticsearchBackend`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from shop.search.backends.postgres import (
    ATTRIBUTE_FACET_KEYS,
    ATTRIBUTE_FACET_VALUES,
    DOMINANT_SHARE,
    MAX_BRAND_VALUES,
    MAX_CATEGORY_VALUES,
    RATING_THRESHOLDS,
    RELAX_BELOW,
    asked_for,
    attribute_facet,
    basic_facets,
    price_ranges,
)
from shop.search.behaviour_math import PRIOR_CONVERSION, PRIOR_CTR
from shop.search.documents import ProductDocument, products
from shop.search.models import PriceRange, SearchDocument
from shop.search.params import ATTRIBUTE_PREFIX, SearchParams
from shop.search.results import Facet, Ranked, Suggestion
from shop.search.text import CATEGORY_SEPARATOR

TEXT_FIELDS = ["name^4", "brand^3", "category_text^2", "attributes_text^1.5", "description"]
MINIMUM_SHOULD_MATCH = "2<-1 4<70%"
SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"product_id": "asc"}],
    "price": [{"price": "asc"}, {"product_id": "asc"}],
    "-price": [{"price": "desc"}, {"product_id": "desc"}],
    "rating": [{"rating_avg": "desc"}, {"rating_count": "desc"}, {"product_id": "asc"}],
    "newest": [{"created_at": "desc"}, {"product_id": "desc"}],
}


def text_query(terms: list[str], *, relaxed: bool = False, fuzzy: bool = False) -> dict[str, Any]:
    if not terms:
        return {"match_all": {}}
    multi_match: dict[str, Any] = {
        "query": " ".join(terms),
        "fields": TEXT_FIELDS,
        "type": "most_fields",
        "operator": "or",
        "minimum_should_match": "1" if relaxed or fuzzy else MINIMUM_SHOULD_MATCH,
    }
    if fuzzy:
        multi_match.update(fields=["name^4", "brand^3"], fuzziness="AUTO", prefix_length=1)
    return {"multi_match": multi_match}


def scored(query: dict[str, Any]) -> dict[str, Any]:
    """The base score: text relevance times behaviour and rating, halved-ish when out of stock."""
    return {
        "function_score": {
            "query": query,
            "functions": [
                {
                    "field_value_factor": {
                        "field": "ctr",
                        "factor": 2 / PRIOR_CTR,
                        "modifier": "log1p",
                        "missing": PRIOR_CTR,
                    }
                },
                {
                    "field_value_factor": {
                        "field": "conversion_rate",
                        "factor": 2 / PRIOR_CONVERSION,
                        "modifier": "log1p",
                        "missing": PRIOR_CONVERSION,
                    }
                },
                {"field_value_factor": {"field": "popularity", "modifier": "log2p", "missing": 0}},
                {"field_value_factor": {"field": "rating_avg", "factor": 0.2, "modifier": "log2p", "missing": 0}},
                {"filter": {"term": {"in_stock": False}}, "weight": 0.6},
            ],
            "score_mode": "multiply",
            "boost_mode": "multiply",
        }
    }


def filter_clauses(params: SearchParams) -> dict[str, dict[str, Any]]:
    """Each active filter as an Elasticsearch clause, keyed by facet name (as in the PostgreSQL backend)."""
    clauses: dict[str, dict[str, Any]] = {}
    if params.category:
        clauses["category"] = {"term": {"category_keys": params.category}}
    if params.brands:
        clauses["brand"] = {"terms": {"brand.raw": list(params.brands)}}
    if params.price_min is not None or params.price_max is not None:
        bounds = {}
        if params.price_min is not None:
            bounds["gte"] = str(params.price_min)
        if params.price_max is not None:
            bounds["lte"] = str(params.price_max)
        clauses["price"] = {"range": {"price": bounds}}
    if params.rating:
        clauses["rating"] = {"range": {"rating_avg": {"gte": params.rating}}}
    if params.fast_delivery:
        clauses["fast_delivery"] = {"term": {"fast_delivery": True}}
    if params.in_stock:
        clauses["in_stock"] = {"term": {"in_stock": True}}
    for key, values in params.attributes:
        clauses[ATTRIBUTE_PREFIX + key] = attribute_clause(key, list(values))
    return clauses


def attribute_clause(key: str, values: list[str]) -> dict[str, Any]:
    return {
        "nested": {
            "path": "attribute_pairs",
            "query": {
                "bool": {
                    "filter": [{"term": {"attribute_pairs.key": key}}, {"terms": {"attribute_pairs.value": values}}]
                }
            },
        }
    }


def _all_but(clauses: dict[str, dict[str, Any]], excluded: str | None) -> dict[str, Any]:
    return {"bool": {"filter": [clause for name, clause in clauses.items() if name != excluded]}}


def search_body(
    params: SearchParams,
    terms: list[str],
    *,
    limit: int,
    offset: int,
    ranges: list[PriceRange],
    relaxed: bool = False,
    fuzzy: bool = False,
) -> dict[str, Any]:
    clauses = filter_clauses(params)
    body: dict[str, Any] = {
        "query": scored(text_query(terms, relaxed=relaxed, fuzzy=fuzzy)),
        "post_filter": _all_but(clauses, None),
        "from": offset,
        "size": limit,
        "sort": SORTS[params.sort],
        "track_total_hits": True,
        "_source": False,
    }
    if params.facets:
        body["aggs"] = facet_aggregations(params, clauses, ranges)
    return body


def facet_aggregations(
    params: SearchParams, clauses: dict[str, dict[str, Any]], ranges: list[PriceRange]
) -> dict[str, Any]:
    depth = params.category.count(CATEGORY_SEPARATOR) + 2 if params.category else 1
    aggs: dict[str, Any] = {
        "brand": {
            "filter": _all_but(clauses, "brand"),
            "aggs": {"values": {"terms": {"field": "brand.raw", "size": MAX_BRAND_VALUES}}},
        },
        "category": {
            "filter": _all_but(clauses, None),
            "aggs": {"values": {"terms": {"field": f"category_levels.l{depth}", "size": MAX_CATEGORY_VALUES}}},
        },
        "top_category": {
            "filter": _all_but(clauses, None),
            "aggs": {"values": {"terms": {"field": "category_levels.l1", "size": 1}}},
        },
        "rating": {
            "filter": _all_but(clauses, "rating"),
            "aggs": {
                "values": {
                    "filters": {"filters": {str(t): {"range": {"rating_avg": {"gte": t}}} for t in RATING_THRESHOLDS}}
                }
            },
        },
        "fast_delivery": {
            "filter": _all_but(clauses, "fast_delivery"),
            "aggs": {"values": {"filter": {"term": {"fast_delivery": True}}}},
        },
        "in_stock": {
            "filter": _all_but(clauses, "in_stock"),
            "aggs": {"values": {"filter": {"term": {"in_stock": True}}}},
        },
    }
    if ranges:
        aggs["price"] = {
            "filter": _all_but(clauses, "price"),
            "aggs": {
                "values": {
                    "range": {
                        "field": "price",
                        "ranges": [
                            {
                                "key": str(i),
                                **({"from": float(r.min_price)} if r.min_price is not None else {}),
                                **({"to": float(r.max_price)} if r.max_price is not None else {}),
                            }
                            for i, r in enumerate(ranges)
                        ],
                    }
                }
            },
        }
    if "attributes" in params.facets:
        plain = {name: clause for name, clause in clauses.items() if not name.startswith(ATTRIBUTE_PREFIX)}
        current = params.category
        scope = [*plain.values(), *([{"term": {"category_keys": current}}] if current else [])]
        attribute_filters = [clause for name, clause in clauses.items() if name.startswith(ATTRIBUTE_PREFIX)]
        aggs["attributes"] = {
            "filter": {"bool": {"filter": scope + attribute_filters}},
            "aggs": {
                "pairs": {
                    "nested": {"path": "attribute_pairs"},
                    "aggs": {
                        "keys": {
                            "terms": {"field": "attribute_pairs.key", "size": ATTRIBUTE_FACET_KEYS},
                            "aggs": {
                                "values": {"terms": {"field": "attribute_pairs.value", "size": ATTRIBUTE_FACET_VALUES}}
                            },
                        }
                    },
                }
            },
        }
        for index, (key, _values) in enumerate(params.attributes):
            # A chosen attribute counts under every filter but its own, so its other values stay visible.
            others = [c for n, c in clauses.items() if n.startswith(ATTRIBUTE_PREFIX) and n != ATTRIBUTE_PREFIX + key]
            aggs[f"attribute_{index}"] = {
                "filter": {"bool": {"filter": scope + others}},
                "aggs": {
                    "pairs": {
                        "nested": {"path": "attribute_pairs"},
                        "aggs": {
                            "key": {
                                "filter": {"term": {"attribute_pairs.key": key}},
                                "aggs": {
                                    "values": {
                                        "terms": {"field": "attribute_pairs.value", "size": ATTRIBUTE_FACET_VALUES}
                                    }
                                },
                            }
                        },
                    }
                },
            }
    return aggs


def parse_search(params: SearchParams, response: dict[str, Any], ranges: list[PriceRange], *, strict: bool) -> Ranked:
    hits = response.get("hits", {})
    total = int(hits.get("total", {}).get("value", 0))
    ids = [int(hit["_id"]) for hit in hits.get("hits", [])]
    scores = [float(hit.get("_score") or 0.0) for hit in hits.get("hits", [])]
    facets = parse_facets(params, response.get("aggregations", {}), ranges, total) if params.facets else []
    return Ranked(ids, scores, total, asked_for(params, facets), total if strict else 0)


def _buckets(aggs: dict[str, Any], name: str) -> list[dict[str, Any]]:
    values = aggs.get(name, {}).get("values", {})
    buckets = values.get("buckets", [])
    if isinstance(buckets, dict):  # "filters" aggregations key their buckets
        return [{"key": key, **bucket} for key, bucket in buckets.items()]
    return buckets


def parse_facets(params: SearchParams, aggs: dict[str, Any], ranges: list[PriceRange], total: int) -> list[Facet]:
    counts: dict[str, list[tuple[str, int]]] = {
        "brand": [(b["key"], b["doc_count"]) for b in _buckets(aggs, "brand")],
        "category": [(b["key"], b["doc_count"]) for b in _buckets(aggs, "category")],
        "price": [(str(b["key"]), b["doc_count"]) for b in _buckets(aggs, "price")],
        "rating": [(str(b["key"]), b["doc_count"]) for b in _buckets(aggs, "rating")],
        "fast_delivery": [("true", aggs.get("fast_delivery", {}).get("values", {}).get("doc_count", 0))],
        "in_stock": [("true", aggs.get("in_stock", {}).get("values", {}).get("doc_count", 0))],
    }
    facets = basic_facets(params, counts, ranges, total)
    top = _buckets(aggs, "top_category")
    dominant = not params.category and top and total and top[0]["doc_count"] >= DOMINANT_SHARE * total
    if "attributes" in aggs and (params.category or dominant):
        by_key: dict[str, list[tuple[str, int]]] = {}
        for bucket in aggs["attributes"]["pairs"]["keys"]["buckets"]:
            by_key[bucket["key"]] = [(v["key"], v["doc_count"]) for v in bucket["values"]["buckets"]]
        for index, (key, _values) in enumerate(params.attributes):
            own = aggs.get(f"attribute_{index}", {}).get("pairs", {}).get("key", {}).get("values", {})
            by_key[key] = [(v["key"], v["doc_count"]) for v in own.get("buckets", [])]
        facets += [attribute_facet(params, key, values) for key, values in by_key.items()]
    return facets


def spelling_body(terms: list[str]) -> dict[str, Any]:
    """A phrase suggester proposing the likeliest rewording of the whole query from product-name shingles."""
    return {
        "size": 0,
        "suggest": {
            "text": " ".join(terms),
            "spelling": {
                "phrase": {
                    "field": "name.shingles",
                    "size": 1,
                    "gram_size": 3,
                    "max_errors": 2,
                    "direct_generator": [{"field": "name.shingles", "suggest_mode": "missing", "min_word_length": 3}],
                }
            },
        },
    }


def parse_spelling(terms: list[str], response: dict[str, Any]) -> list[str] | None:
    for entry in response.get("suggest", {}).get("spelling", []):
        for option in entry.get("options", []):
            words = option["text"].split()
            if words and words != terms:
                return words
    return None


def suggest_body(prefix: str, limit: int) -> dict[str, Any]:
    """The completion suggester, one request per kind (so each kind gets its share of the list)."""
    return {
        "size": 0,
        "_source": ["name", "slug", "brand", "category_keys", "category_path"],
        "suggest": {
            kind: {
                "prefix": prefix,
                "completion": {
                    "field": "suggest",
                    "size": limit,
                    "skip_duplicates": True,
                    "contexts": {"kind": [kind]},
                },
            }
            for kind in ("category", "brand", "product")
        },
    }


def parse_suggest(response: dict[str, Any], limit: int) -> list[Suggestion]:
    found: list[Suggestion] = []
    for kind in ("category", "brand", "product"):
        for entry in response.get("suggest", {}).get(kind, []):
            for option in entry.get("options", []):
                source = option.get("_source", {})
                if kind == "product":
                    params = {"product_id": str(option["_id"]), "slug": source.get("slug", "")}
                    text = source.get("name", option["text"])
                elif kind == "brand":
                    text = source.get("brand", option["text"])
                    params = {"brand": text}
                else:
                    keys = source.get("category_keys") or [option["text"]]
                    text = (source.get("category_path") or [option["text"]])[-1]
                    params = {"category": keys[-1]}
                found.append(Suggestion(kind, text, params))
    return found[:limit]


def bulk_actions(documents: list[SearchDocument], index: str) -> list[dict[str, Any]]:
    document = ProductDocument()
    return [
        {"_op_type": "index", "_index": index, "_id": d.product_id, "_source": document.prepare(d)} for d in documents
    ]


class ElasticsearchBackend:
    """Search through Elasticsearch; documents are pushed from the PostgreSQL read model after each commit."""

    name = "elasticsearch"
    external = True

    def __init__(self) -> None:
        self.client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=5)
        self.index_name = settings.SEARCH_INDEX_NAME

    def search(
        self, params: SearchParams, terms: list[str], *, limit: int, offset: int = 0, fuzzy: bool = False
    ) -> Ranked:
        ranges = price_ranges()
        if fuzzy or not terms:
            body = search_body(params, terms, limit=limit, offset=offset, ranges=ranges, fuzzy=fuzzy)
            return parse_search(
                params, self.client.search(index=self.index_name, body=body).body, ranges, strict=not terms
            )
        strict = parse_search(
            params,
            self.client.search(
                index=self.index_name, body=search_body(params, terms, limit=limit, offset=offset, ranges=ranges)
            ).body,
            ranges,
            strict=True,
        )
        if strict.total >= RELAX_BELOW or len(terms) <= 1:
            return strict
        body = search_body(params, terms, limit=limit, offset=offset, ranges=ranges, relaxed=True)
        relaxed = parse_search(params, self.client.search(index=self.index_name, body=body).body, ranges, strict=False)
        return Ranked(relaxed.ids, relaxed.scores, relaxed.total, relaxed.facets, strict.total)

    def correct(self, terms: list[str]) -> list[str] | None:
        if not terms:
            return None
        return parse_spelling(terms, self.client.search(index=self.index_name, body=spelling_body(terms)).body)

    def suggest(self, prefix: str, limit: int) -> list[Suggestion]:
        return parse_suggest(self.client.search(index=self.index_name, body=suggest_body(prefix, limit)).body, limit)

    def ensure_index(self) -> None:
        """Create the index with its mapping and analyzers if it does not exist yet."""
        if not products.exists():
            products.create()

    def index(self, product_ids: list[int]) -> None:
        if product_ids:
            documents = list(SearchDocument.objects.filter(product_id__in=product_ids))
            bulk(self.client, bulk_actions(documents, self.index_name))

    def delete(self, product_ids: list[int]) -> None:
        actions = [{"_op_type": "delete", "_index": self.index_name, "_id": pid} for pid in product_ids]
        if actions:
            bulk(self.client, actions, raise_on_error=False)
