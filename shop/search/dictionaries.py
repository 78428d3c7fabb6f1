"""The dictionaries built from the search documents: the spelling vocabulary and
the autocomplete suggestions.

Both are tables (``SearchTerm``, ``Suggestion``) rebuilt in one transaction by
:func:`refresh` (every few minutes from Celery beat, and after a full rebuild),
so every web process reads the same dictionary and none keeps one in memory.
Suggestion answers are cached in Redis under a version that each refresh bumps.
"""

# ruff: noqa: S608  (SQL here is assembled from constant fragments; every value is a bound parameter)

from __future__ import annotations

import hashlib
import json
import logging

from django.core.cache import cache
from django.db import connection, transaction
from symspellpy.editdistance import DistanceAlgorithm, EditDistance

from shop.core.http_cache import bump_version, current_version
from shop.search import text
from shop.search.results import Suggestion

log = logging.getLogger(__name__)

VERSION_NAME = "search.dictionaries"
REFRESH_LOCK_KEY = 0x5EA7C4
MAX_PRODUCT_SUGGESTIONS = 50_000
MAX_QUERY_SUGGESTIONS = 20_000
MIN_QUERY_SEARCHES = 2
MAX_QUERY_SUGGESTION_CHARS = 60
SUGGEST_CACHE_SECONDS = 600
SUGGEST_LIMITS = {"query": 5, "category": 3, "brand": 2, "product": 4}
SPELL_CANDIDATES = 15
CONTEXT_CANDIDATES = 5
CONTEXT_COUNT_CAP = 1000
_EDIT_DISTANCE = EditDistance(DistanceAlgorithm.DAMERAU_OSA)

# One row per word of the catalog's names, brands, categories and attribute values.
VOCABULARY_SQL = """
    INSERT INTO search_searchterm (term, doc_freq)
    SELECT word, ndoc FROM ts_stat($$
        SELECT to_tsvector('simple', name || ' ' || brand || ' ' || category_text || ' ' || attributes_text)
        FROM search_searchdocument
    $$) WHERE length(word) BETWEEN 3 AND 60 AND word ~ '^[[:alpha:]]+$'
"""
NORMALIZED = "btrim(lower(regexp_replace({0}, '[^[:alnum:]]+', ' ', 'g')))"
SUGGESTIONS_SQL = [
    f"""INSERT INTO search_suggestion (kind, text, normalized, weight, params)
        SELECT 'query', normalized, normalized, 3 * ln(1 + searches), '{{}}'::jsonb FROM search_searchquerystat
        WHERE searches >= {MIN_QUERY_SEARCHES} AND last_result_count > 0
          AND length(normalized) <= {MAX_QUERY_SUGGESTION_CHARS}
        ORDER BY searches DESC LIMIT {MAX_QUERY_SUGGESTIONS}""",
    f"""INSERT INTO search_suggestion (kind, text, normalized, weight, params)
        SELECT 'brand', brand, {NORMALIZED.format("brand")}, 2 * ln(1 + count(*)), jsonb_build_object('brand', brand)
        FROM search_searchdocument WHERE brand <> '' GROUP BY brand""",
    f"""INSERT INTO search_suggestion (kind, text, normalized, weight, params)
        SELECT 'category', c.path[array_upper(c.path, 1)], {NORMALIZED.format("c.path[array_upper(c.path, 1)]")},
               2 * ln(1 + count(*)), jsonb_build_object('category', c.key)
        FROM search_searchdocument d
        CROSS JOIN LATERAL unnest(d.category_keys) WITH ORDINALITY AS k(key, depth)
        CROSS JOIN LATERAL (SELECT k.key, d.category_path[1:k.depth] AS path) c
        GROUP BY c.key, c.path""",
    f"""INSERT INTO search_suggestion (kind, text, normalized, weight, params)
        SELECT 'product', left(name, 120), {NORMALIZED.format("left(name, 120)")},
               popularity + 0.3 * ln(1 + rating_count), jsonb_build_object('product_id', product_id, 'slug', slug)
        FROM search_searchdocument ORDER BY popularity DESC, rating_count DESC, product_id
        LIMIT {MAX_PRODUCT_SUGGESTIONS}""",
]


def refresh() -> None:
    """Rebuild the vocabulary and the suggestions from the current documents and query statistics."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return  # another process is refreshing right now
            cursor.execute("DELETE FROM search_searchterm")
            cursor.execute(VOCABULARY_SQL)
            cursor.execute("DELETE FROM search_suggestion")
            for sql in SUGGESTIONS_SQL:
                cursor.execute(sql)
            # Fresh statistics, or the planner answers "term = x" from the trigram index (100x slower).
            cursor.execute("ANALYZE search_searchterm, search_suggestion")
        transaction.on_commit(lambda: bump_version(VERSION_NAME))


# ---------------------------------------------------------------------------
# Spelling
# ---------------------------------------------------------------------------


def correct(terms: list[str]) -> list[str] | None:
    """The terms with each word the catalog does not know replaced by the closest
    word it does: trigram-similar vocabulary within Damerau-Levenshtein distance 1
    (2 for words of 6+ letters); among the closest, the one found most often
    together with the query's other words ("cable poter" -> "porter", not "power"),
    then the more frequent. ``None`` when nothing needs or can get a correction."""
    words = [t for t in terms if len(t) >= 3 and t.isalpha()]
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT term FROM search_searchterm WHERE term = ANY(%s)", [words])
        known = {row[0] for row in cursor.fetchall()}
        unknown = [w for w in words if w not in known]
        if not unknown:
            return None
    candidates = _candidates(unknown)
    context = [t for t in terms if t in known or not t.isalpha()]
    replacements = {}
    for word in unknown:
        closest = _closest(word, candidates.get(word, []))
        if closest:
            replacements[word] = _in_context(closest, context) if len(closest) > 1 and context else closest[0]
    if not replacements:
        return None
    return [replacements.get(t, t) for t in terms]


def _candidates(words: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Trigram-similar vocabulary for each word, cached per dictionary version (misspellings recur)."""
    version = suggestion_version()
    keys = {word: f"search:spell:v{version}:{word}" for word in words}
    try:
        cached = cache.get_many(list(keys.values()))
    except Exception:  # a Redis outage costs speed, not answers
        cached = {}
    found = {word: [tuple(pair) for pair in cached[key]] for word, key in keys.items() if key in cached}
    missing = [word for word in words if word not in found]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT u.t, s.term, s.doc_freq FROM unnest(%s::text[]) AS u(t) CROSS JOIN LATERAL ("
                "  SELECT term, doc_freq FROM search_searchterm WHERE lower(term) %% u.t"
                f"  ORDER BY similarity(lower(term), u.t) DESC, doc_freq DESC LIMIT {SPELL_CANDIDATES}) s",
                [missing],
            )
            fresh: dict[str, list[tuple[str, int]]] = {word: [] for word in missing}
            for word, term, freq in cursor.fetchall():
                fresh[word].append((term, freq))
        found.update(fresh)
        try:
            cache.set_many({keys[word]: fresh[word] for word in missing}, SUGGEST_CACHE_SECONDS)
        except Exception:
            log.warning("cache unavailable for spelling candidates", exc_info=True)
    return found


def _closest(word: str, candidates: list[tuple[str, int]]) -> list[str]:
    """The candidates at the smallest edit distance (within the limit), most frequent first."""
    limit = 2 if len(word) >= 6 else 1
    scored = []
    for term, freq in candidates:
        distance = _EDIT_DISTANCE.compare(word, term, limit)
        if distance >= 0:
            scored.append((distance, -freq, term))
    if not scored:
        return []
    best = min(scored)[0]
    return [term for distance, _freq, term in sorted(scored) if distance == best][:CONTEXT_CANDIDATES]


def _in_context(options: list[str], context: list[str]) -> str:
    """The option most products share with the other words of the query (bounded counts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.w, (SELECT count(*) FROM (SELECT 1 FROM search_searchdocument d"
            "   WHERE d.search_vector @@ (plainto_tsquery('english', o.w) && plainto_tsquery('english', %s))"
            f"   LIMIT {CONTEXT_COUNT_CAP}) x)"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS o(w, i) ORDER BY 2 DESC, o.i LIMIT 1",
            [" ".join(context), options],
        )
        row = cursor.fetchone()
    return row[0] if row else options[0]


# ---------------------------------------------------------------------------
# Autocomplete
# ---------------------------------------------------------------------------


def suggestion_version() -> int:
    return current_version(VERSION_NAME)


def suggest(prefix: str, limit: int = 10) -> list[Suggestion]:
    """Completions for what the shopper has typed so far: popular searches,
    categories, brands and product names whose words start with it.

    Every word but the last must be complete; the last is a prefix. Answers are
    cached per (dictionary version, prefix), so hot prefixes cost one Redis GET.
    """
    words = text.terms(prefix, limit=6)
    key = "search:suggest:v{}:{}:{}".format(
        suggestion_version(), limit, hashlib.blake2b(" ".join(words).encode(), digest_size=12).hexdigest()
    )
    cached = _cache_get(key)
    if cached is not None:
        return [Suggestion(**item) for item in cached]
    suggestions = _query(words, limit)
    _cache_set(key, [s.__dict__ for s in suggestions])
    return suggestions


def _query(words: list[str], limit: int) -> list[Suggestion]:
    limits = " OR ".join(f"(kind = '{kind}' AND r <= {n})" for kind, n in SUGGEST_LIMITS.items())
    if words:
        tsquery = " & ".join(f"'{w}'" for w in words[:-1]) + (" & " if len(words) > 1 else "") + f"'{words[-1]}':*"
        where, params = "words @@ to_tsquery('simple', %s)", [tsquery]
        starts, starts_params = "normalized LIKE %s", [" ".join(words).replace("%", "").replace("_", "") + "%"]
    else:
        where, params = "kind = 'query'", []
        starts, starts_params = "TRUE", []
    sql = f"""
        SELECT kind, text, params FROM (
            SELECT kind, text, params, weight, s,
                   row_number() OVER (PARTITION BY kind ORDER BY s DESC, weight DESC, id) AS r
            FROM (SELECT *, ({starts}) AS s FROM search_suggestion WHERE {where}) x
        ) y WHERE {limits}
        ORDER BY s DESC, array_position(ARRAY['query','category','brand','product'], kind::text), weight DESC
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*starts_params, *params, limit])
        rows = cursor.fetchall()
    return [Suggestion(kind=kind, text=label, params=_params_of(p)) for kind, label, p in rows]


def _params_of(raw: object) -> dict[str, str]:
    data = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return {str(k): str(v) for k, v in data.items()}


def _cache_get(key: str) -> list[dict] | None:
    try:
        return cache.get(key)
    except Exception:
        return None


def _cache_set(key: str, value: list[dict]) -> None:
    try:
        cache.set(key, value, SUGGEST_CACHE_SECONDS)
    except Exception:  # a Redis outage costs speed, not answers
        return
