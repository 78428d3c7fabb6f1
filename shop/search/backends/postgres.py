"""PostgreSQL search: weighted tsvector + GIN for words, pg_trgm for fuzzy names.

A search is a handful of bounded statements over ``search_searchdocument``:
the terms are turned into tsqueries by PostgreSQL itself (never by string
building), then one statement ranks the matching documents and one computes
every facet from a single materialized pass over the matches.

Facet counts stay right when filters combine ("disjunctive" faceting): each
facet counts the documents that pass every *other* active filter, so ticking a
brand does not make the other brands' counts drop to zero.
"""

# ruff: noqa: S608  (SQL here is assembled from constant fragments; every value is a bound parameter)

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import connection

from shop.search.behaviour_math import BEHAVIOUR_SQL
from shop.search.models import PriceRange
from shop.search.params import ATTRIBUTE_PREFIX, SearchParams
from shop.search.results import Facet, FacetValue, Ranked
from shop.search.text import CATEGORY_SEPARATOR, minimum_should_match

TABLE = "search_searchdocument"
RANK_WEIGHTS = "{0.1,0.2,0.4,1.0}"  # D, C, B, A: description, attributes, category, name and brand
MAX_BRAND_VALUES = 30
MAX_CATEGORY_VALUES = 30
ATTRIBUTE_FACET_KEYS = 4
ATTRIBUTE_FACET_VALUES = 12
ATTRIBUTE_FACET_SCAN = 20_000  # documents looked at for attribute facets: bounded cost on huge result sets
DOMINANT_SHARE = 0.6  # a top-level category holding this share of the results is "the current category"
RATING_THRESHOLDS = (4, 3, 2, 1)
RELAX_BELOW = 50  # fewer products than this with (nearly) every word: show those with some of the words too


@dataclass(frozen=True)
class PreparedQuery:
    """The query's terms as tsqueries, made by PostgreSQL's own parser."""

    terms: list[str]
    term_queries: list[str]  # one tsquery (text form) per term that is not a stop word

    @property
    def any_query(self) -> str:
        return " | ".join(f"({tq})" for tq in self.term_queries)

    @property
    def raw(self) -> str:
        return " ".join(self.terms)


def prepare(terms: list[str]) -> PreparedQuery:
    """One tsquery per term (stop words dropped). A term also matches the compound
    it forms with its neighbour when the catalog uses it: "wall paper" finds
    "wallpaper" (the vocabulary table says which compounds exist)."""
    if not terms:
        return PreparedQuery([], [])
    compounds = [a + b for a, b in pairwise(terms)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 't', i, plainto_tsquery(%s::regconfig, w)::text FROM unnest(%s::text[]) WITH ORDINALITY AS u(w, i)"
            " UNION ALL SELECT 'c', i, plainto_tsquery(%s::regconfig, w)::text"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS c(w, i)"
            " WHERE EXISTS (SELECT 1 FROM search_searchterm s WHERE s.term = c.w)",
            ["english", terms, "english", compounds],
        )
        rows = cursor.fetchall()
    own = {int(i): tq for kind, i, tq in rows if kind == "t"}
    joined = {int(i): tq for kind, i, tq in rows if kind == "c" and tq}
    queries = []
    for i in range(1, len(terms) + 1):
        if not own.get(i):
            continue
        alternatives = [own[i], *(joined[j] for j in (i - 1, i) if j in joined)]
        queries.append(" | ".join(f"({tq})" for tq in alternatives) if len(alternatives) > 1 else own[i])
    return PreparedQuery(terms, queries)


@dataclass(frozen=True)
class Match:
    """Which documents match (a WHERE fragment over ``d``) and how they score."""

    where: str
    where_params: list[Any]
    score: str
    score_params: list[Any]


def matched_terms_sql(vector: str, prepared: PreparedQuery) -> tuple[str, list[Any]]:
    """How many of the query's terms ``vector`` contains."""
    parts = [f"({vector} @@ %s::tsquery)::int" for _ in prepared.term_queries]
    return " + ".join(parts) or "0", list(prepared.term_queries)


def text_match(prepared: PreparedQuery, minimum: int) -> Match:
    """Documents with at least ``minimum`` of the terms; ranked by weighted text
    relevance (length-normalized), times the squared share of terms present (so
    products with every word come first), times the behaviour factor."""
    matched, matched_params = matched_terms_sql("d.search_vector", prepared)
    count = len(prepared.term_queries)
    return Match(
        where=f"d.search_vector @@ %s::tsquery AND ({matched}) >= %s",
        where_params=[prepared.any_query, *matched_params, minimum],
        score=(
            f"ts_rank('{RANK_WEIGHTS}', d.search_vector, %s::tsquery, 1)"
            f" * (0.1 + 0.9 * power(({matched})::float / {count}, 2)) * {BEHAVIOUR_SQL}"
        ),
        score_params=[prepared.any_query, *matched_params],
    )


def fuzzy_match(raw: str) -> Match:
    """Names that look like the query (trigram word similarity), for when no word matches."""
    return Match(
        where="%s <%% lower(d.name)",
        where_params=[raw],
        score=f"word_similarity(%s, lower(d.name)) * {BEHAVIOUR_SQL}",
        score_params=[raw],
    )


def browse_match() -> Match:
    """No words, only filters: rank by behaviour and how much a product is reviewed."""
    return Match(
        where="TRUE", where_params=[], score=f"{BEHAVIOUR_SQL} * (1 + ln(1 + d.rating_count) / 10)", score_params=[]
    )


ORDERS = {
    "relevance": "score DESC, product_id",
    "price": "price, product_id",
    "-price": "price DESC, product_id DESC",
    "rating": "rating_avg DESC, rating_count DESC, product_id",
    "newest": "created_at DESC, product_id DESC",
}


def filter_sql(params: SearchParams) -> dict[str, tuple[str, list[Any]]]:
    """Each active filter as a boolean SQL fragment over ``d``, keyed by facet name."""
    filters: dict[str, tuple[str, list[Any]]] = {}
    if params.category:
        filters["category"] = ("d.category_keys @> ARRAY[%s]::text[]", [params.category])
    if params.brands:
        filters["brand"] = ("d.brand = ANY(%s)", [list(params.brands)])
    if params.price_min is not None or params.price_max is not None:
        filters["price"] = (
            "(%s::numeric IS NULL OR d.price >= %s) AND (%s::numeric IS NULL OR d.price <= %s)",
            [params.price_min, params.price_min, params.price_max, params.price_max],
        )
    if params.rating:
        filters["rating"] = ("d.rating_avg >= %s", [params.rating])
    if params.fast_delivery:
        filters["fast_delivery"] = ("d.fast_delivery", [])
    if params.in_stock:
        filters["in_stock"] = ("d.in_stock", [])
    for key, values in params.attributes:
        filters[ATTRIBUTE_PREFIX + key] = ("(d.attributes ->> %s) = ANY(%s)", [key, list(values)])
    return filters


def _and(parts: list[str]) -> str:
    return " AND ".join(parts) if parts else "TRUE"


def _filtered(params: SearchParams, match: Match) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of the matches that pass every active filter."""
    filters = filter_sql(params)
    where = _and([match.where, *(sql for sql, _ in filters.values())])
    return where, [*match.where_params, *(p for _, ps in filters.values() for p in ps)]


def _flags(params: SearchParams) -> tuple[dict[str, str], str, list[Any]]:
    """Each active filter as a boolean column of the materialized matches, so one pass counts
    every facet under every *other* filter: (column per filter name, select SQL, its parameters)."""
    filters = filter_sql(params)
    flag = {name: f"f{i}" for i, name in enumerate(filters)}
    flags_sql = "".join(f", ({sql}) AS {flag[name]}" for name, (sql, _) in filters.items())
    return flag, flags_sql, [p for _, ps in filters.values() for p in ps]


def rank(params: SearchParams, match: Match, limit: int, offset: int) -> list[tuple[int, float]]:
    """Product ids and scores of the matches in the asked order, ``limit`` from ``offset``."""
    where, where_params = _filtered(params, match)
    sql = (
        f"SELECT product_id, score FROM (SELECT d.product_id, d.price, d.rating_avg, d.rating_count, d.created_at,"
        f" {match.score} AS score FROM {TABLE} d WHERE {where}) m ORDER BY {ORDERS[params.sort]} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*match.score_params, *where_params, limit, offset])
        return [(int(pid), float(score)) for pid, score in cursor.fetchall()]


def price_ranges(currency: str | None = None) -> list[PriceRange]:
    return list(PriceRange.objects.filter(currency=currency or settings.DEFAULT_CURRENCY))


def facets(params: SearchParams, match: Match) -> tuple[int, list[Facet]]:
    """The total and the facets, in one statement (plus one for attribute facets when a category is current)."""
    flag, flags_sql, flag_params = _flags(params)

    def others(excluded: str | None) -> str:
        return _and([column for name, column in flag.items() if name != excluded])

    ranges = price_ranges()
    depth = params.category.count(CATEGORY_SEPARATOR) + 2 if params.category else 1
    parts = [f"SELECT 'total' AS facet, '' AS value, count(*) AS n FROM m WHERE {others(None)}"]
    part_params: list[Any] = []
    parts.append(
        f"(SELECT 'brand', brand, count(*) FROM m WHERE brand <> '' AND {others('brand')}"
        f" GROUP BY brand ORDER BY 3 DESC, 2 LIMIT {MAX_BRAND_VALUES})"
    )
    parts.append(
        "(SELECT 'category', c.key, count(*) FROM m CROSS JOIN LATERAL unnest(m.category_keys) WITH ORDINALITY"
        f" AS c(key, depth) WHERE c.depth = %s AND {others(None)} GROUP BY c.key ORDER BY 3 DESC, 2"
        f" LIMIT {MAX_CATEGORY_VALUES})"
    )
    part_params.append(depth)
    if ranges:
        values = ", ".join("(%s::int, %s::numeric, %s::numeric)" for _ in ranges)
        parts.append(
            f"(SELECT 'price', r.i::text, count(*) FROM m JOIN (VALUES {values}) AS r(i, lo, hi)"
            " ON (r.lo IS NULL OR m.price >= r.lo) AND (r.hi IS NULL OR m.price < r.hi)"
            f" WHERE {others('price')} GROUP BY r.i)"
        )
        part_params += [p for i, r in enumerate(ranges) for p in (i, r.min_price, r.max_price)]
    parts.append(
        "(SELECT 'rating', t::text, count(*) FROM m CROSS JOIN unnest(%s::int[]) AS t"
        f" WHERE m.rating_avg >= t AND {others('rating')} GROUP BY t)"
    )
    part_params.append(list(RATING_THRESHOLDS))
    parts.append(f"SELECT 'fast_delivery', 'true', count(*) FROM m WHERE m.fast_delivery AND {others('fast_delivery')}")
    parts.append(f"SELECT 'in_stock', 'true', count(*) FROM m WHERE m.in_stock AND {others('in_stock')}")
    sql = (
        f"WITH m AS MATERIALIZED (SELECT d.brand, d.category_keys, d.price, d.rating_avg, d.fast_delivery,"
        f" d.in_stock{flags_sql} FROM {TABLE} d WHERE {match.where}) " + " UNION ALL ".join(parts)
    )
    counts: dict[str, list[tuple[str, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*flag_params, *match.where_params, *part_params])
        for facet, value, n in cursor.fetchall():
            counts.setdefault(facet, []).append((value, int(n)))
    total = counts.get("total", [("", 0)])[0][1]
    result = basic_facets(params, counts, ranges, total)
    if "attributes" in params.facets:
        current = params.category or _dominant_category(counts.get("category", []), total, depth)
        if current:
            result += attribute_facets(params, match, current)
    return total, asked_for(params, result)


def asked_for(params: SearchParams, facets: list[Facet]) -> list[Facet]:
    """The facets ``params.facets`` names ("attributes" stands for every attribute facet)."""
    wanted = set(params.facets)
    return [
        facet
        for facet in facets
        if facet.name in wanted or (facet.name.startswith(ATTRIBUTE_PREFIX) and "attributes" in wanted)
    ]


def _dominant_category(category_counts: list[tuple[str, int]], total: int, depth: int) -> str:
    if depth != 1 or not category_counts or not total:
        return ""
    key, count = max(category_counts, key=lambda item: item[1])
    return key if count >= DOMINANT_SHARE * total else ""


def basic_facets(
    params: SearchParams, counts: dict[str, list[tuple[str, int]]], ranges: list[PriceRange], total: int
) -> list[Facet]:
    facets = [
        Facet(
            "category",
            "Category",
            "tree",
            [
                FacetValue(key, key.rsplit(CATEGORY_SEPARATOR, 1)[-1], n, key == params.category)
                for key, n in counts.get("category", [])
            ],
        ),
        Facet(
            "brand",
            "Brand",
            "terms",
            with_selected([FacetValue(b, b, n, b in params.brands) for b, n in counts.get("brand", [])], params.brands),
        ),
    ]
    by_range = dict(counts.get("price", []))
    price_values = []
    for i, r in enumerate(ranges):
        n = by_range.get(str(i), 0)
        selected = params.price_min == r.min_price and params.price_max == _inclusive_max(r.max_price)
        if n or selected:
            price_values.append(
                FacetValue(str(i), _range_label(r), n, selected, r.min_price, _inclusive_max(r.max_price))
            )
    facets.append(Facet("price", "Price", "range", price_values))
    by_rating = dict(counts.get("rating", []))
    facets.append(
        Facet(
            "rating",
            "Customer rating",
            "threshold",
            [
                FacetValue(str(t), f"{t}★ & up", by_rating.get(str(t), 0), params.rating == t)
                for t in RATING_THRESHOLDS
                if by_rating.get(str(t), 0) or params.rating == t
            ],
        )
    )
    for name, label, selected in (
        ("fast_delivery", "Fast delivery", params.fast_delivery),
        ("in_stock", "In stock", params.in_stock),
    ):
        n = dict(counts.get(name, [])).get("true", 0)
        facets.append(Facet(name, label, "toggle", [FacetValue("true", label, n, selected)] if n or selected else []))
    return facets


def with_selected(values: list[FacetValue], selected: tuple[str, ...]) -> list[FacetValue]:
    """Keep ticked values visible (with a 0 count) even when they fell out of the top list, so they can be unticked."""
    present = {v.value for v in values}
    return values + [FacetValue(s, s, 0, True) for s in selected if s not in present]


def attribute_facet(params: SearchParams, key: str, counts: list[tuple[str, int]]) -> Facet:
    """The facet of attribute ``key`` from its (value, count) pairs, the shopper's ticked values marked."""
    chosen = dict(params.attributes).get(key, ())
    return Facet(
        ATTRIBUTE_PREFIX + key,
        key,
        "terms",
        with_selected([FacetValue(v, v, n, v in chosen) for v, n in counts], chosen),
    )


def _inclusive_max(max_price: Decimal | None) -> Decimal | None:
    """Buckets are [min, max); the filter's price_max is inclusive, so a bucket filters up to max - 0.01."""
    return None if max_price is None else max_price - Decimal("0.01")


def _range_label(r: PriceRange) -> str:
    def money(value: Decimal) -> str:
        return f"{value:,.0f}"

    if r.min_price is None or r.min_price == 0:
        return f"Under {money(r.max_price)}" if r.max_price is not None else "Any price"
    if r.max_price is None:
        return f"{money(r.min_price)} and above"
    return f"{money(r.min_price)} \u2013 {money(r.max_price)}"


def attribute_facets(params: SearchParams, match: Match, category: str) -> list[Facet]:
    """The most useful attributes of ``category`` among the matches: the keys most
    products carry that still split them (2..40 distinct values), plus any key the
    shopper already filters on; values counted under every other filter."""
    flag, flags_sql, flag_params = _flags(params)
    plain = _and([column for name, column in flag.items() if not name.startswith(ATTRIBUTE_PREFIX)])
    attribute_names = [name for name in flag if name.startswith(ATTRIBUTE_PREFIX)]
    per_key = _and([f"(e.key = %s OR {flag[n]})" for n in attribute_names])
    per_key_params = [n[len(ATTRIBUTE_PREFIX) :] for n in attribute_names]
    selected_keys = [key for key, _ in params.attributes]
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT d.attributes{flags_sql} FROM {TABLE} d
            WHERE {match.where} AND d.category_keys @> ARRAY[%s]::text[] AND d.attributes <> '{{}}'::jsonb
            LIMIT {ATTRIBUTE_FACET_SCAN}
        ),
        keys AS (
            SELECT e.key FROM m CROSS JOIN LATERAL jsonb_each_text(m.attributes) AS e(key, value)
            WHERE {plain} GROUP BY e.key HAVING count(DISTINCT e.value) BETWEEN 2 AND 40
            ORDER BY count(*) DESC, e.key LIMIT {ATTRIBUTE_FACET_KEYS}
        ),
        counted AS (
            SELECT e.key, e.value, count(*) AS n,
                   row_number() OVER (PARTITION BY e.key ORDER BY count(*) DESC, e.value) AS r
            FROM m CROSS JOIN LATERAL jsonb_each_text(m.attributes) AS e(key, value)
            WHERE (e.key IN (SELECT key FROM keys) OR e.key = ANY(%s)) AND {plain} AND {per_key}
            GROUP BY e.key, e.value
        )
        SELECT key, value, n FROM counted WHERE r <= {ATTRIBUTE_FACET_VALUES} ORDER BY key, n DESC, value
    """
    rows: dict[str, list[tuple[str, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*flag_params, *match.where_params, category, selected_keys, *per_key_params])
        for key, value, n in cursor.fetchall():
            rows.setdefault(key, []).append((value, int(n)))
    keys = list(dict.fromkeys([*rows, *selected_keys]))
    return [attribute_facet(params, key, rows.get(key, [])) for key in keys]


class PostgresBackend:
    """The default backend: everything in the database the store already has."""

    name = "postgres"
    external = False

    def search(
        self, params: SearchParams, terms: list[str], *, limit: int, offset: int = 0, fuzzy: bool = False
    ) -> Ranked:
        """Products with (nearly) all the words; when fewer than ``RELAX_BELOW`` have them,
        products with any of the words too, ranked below (the share of words found weighs heavily)."""
        if not terms:
            return self._search(params, browse_match(), limit, offset, strict=True)
        if fuzzy:
            return self._search(params, fuzzy_match(" ".join(terms)), limit, offset)
        prepared = prepare(terms)
        if not prepared.term_queries:
            return Ranked([], [], 0, [])  # only stop words: nothing meaningful to look for
        minimum = minimum_should_match(len(prepared.term_queries))
        if minimum == 1:
            return self._search(params, text_match(prepared, 1), limit, offset, strict=True)
        strict = text_match(prepared, minimum)
        strict_total = self.count(params, strict)
        if strict_total >= RELAX_BELOW:
            return self._search(params, strict, limit, offset, strict=True, total=strict_total)
        return replace(self._search(params, text_match(prepared, 1), limit, offset), strict_total=strict_total)

    def _search(
        self,
        params: SearchParams,
        match: Match,
        limit: int,
        offset: int,
        *,
        strict: bool = False,
        total: int | None = None,
    ) -> Ranked:
        ranked = rank(params, match, limit, offset) if limit else []
        if params.facets:
            total, facet_list = facets(params, match)
        elif total is None:
            total, facet_list = self.count(params, match), []
        else:
            facet_list = []
        return Ranked(
            [pid for pid, _ in ranked], [score for _, score in ranked], total, facet_list, total if strict else 0
        )

    def count(self, params: SearchParams, match: Match) -> int:
        where, where_params = _filtered(params, match)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE} d WHERE {where}", where_params)
            return int(cursor.fetchone()[0])

    def ensure_index(self) -> None:
        """The documents are the index: nothing more to do."""

    def index(self, product_ids: list[int]) -> None:
        """The documents are the index: nothing more to do."""

    def delete(self, product_ids: list[int]) -> None:
        """The documents are the index: nothing more to do."""
