"""One search, start to finish, whatever the backend:

1. the words, and a spelling correction for words the catalog does not know;
2. the backend's ranking, total and facets;
3. nothing found: retry with the correction, then with fuzzy (trigram) name matching;
4. learning-to-rank re-orders the top ``RERANK_WINDOW`` when a model is active;
5. the page's products are read from the search documents, and the search is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shop.search import backends, behaviour, dictionaries, ltr, text
from shop.search.backends.postgres import prepare
from shop.search.models import SearchDocument
from shop.search.params import SearchParams, from_filters
from shop.search.results import Hit, Ranked, SearchResult, Suggestion

FUZZY_MAX_TERMS = 3  # trigram matching of long strings is slow and rarely what was meant
HIT_FIELDS = [
    "product_id",
    "name",
    "slug",
    "brand",
    "category_path",
    "price",
    "list_price",
    "currency",
    "rating_avg",
    "rating_count",
    "fast_delivery",
    "availability",
]


@dataclass(frozen=True)
class Retrieved:
    """The base ranking of a search, after the spelling and fuzzy fallbacks."""

    ranked: Ranked
    terms: list[str]  # the words actually searched for
    correction: list[str] | None
    auto_corrected: bool
    fuzzy: bool


def retrieve(params: SearchParams, *, limit: int, offset: int = 0) -> Retrieved:
    """Steps 1-3: words, correction, the backend's ranking, and the retries: with the
    correction when no product has (nearly) all the words and the corrected words do
    better, then fuzzy name matching when nothing matched at all."""
    backend = backends.get_backend()
    terms = text.terms(params.q)
    correction = correct(terms) if params.spell and terms else None
    ranked = backend.search(params, terms, limit=limit, offset=offset)
    if ranked.strict_total == 0 and correction:
        retried = backend.search(params, correction, limit=limit, offset=offset)
        if retried.strict_total or (retried.total and not ranked.total):
            return Retrieved(retried, correction, correction, True, False)
    if ranked.total == 0 and terms and len(terms) <= FUZZY_MAX_TERMS:
        retried = backend.search(params, terms, limit=limit, offset=offset, fuzzy=True)
        if retried.total:
            return Retrieved(retried, terms, correction, False, True)
    return Retrieved(ranked, terms, correction, False, False)


def correct(terms: list[str]) -> list[str] | None:
    """A better-spelled version of ``terms``: from the backend's own suggester if it has one
    (Elasticsearch), else from the catalog vocabulary in PostgreSQL."""
    backend_correct = getattr(backends.get_backend(), "correct", None)
    return backend_correct(terms) if backend_correct else dictionaries.correct(terms)


def suggest(prefix: str, limit: int) -> list[Suggestion]:
    backend_suggest = getattr(backends.get_backend(), "suggest", None)
    return backend_suggest(prefix, limit) if backend_suggest else dictionaries.suggest(prefix, limit)


def search(
    params: SearchParams,
    *,
    user_id: int | None = None,
    session_key: str | None = None,
    log: bool = True,
    use_ranker: bool = True,
) -> SearchResult:
    ranker = ltr.active_ranker() if use_ranker and params.q and params.sort == "relevance" else None
    reranking = ranker is not None and params.offset < ltr.RERANK_WINDOW
    if reranking:
        retrieved = retrieve(params, limit=max(ltr.RERANK_WINDOW, params.offset + params.page_size))
    else:
        retrieved = retrieve(params, limit=params.page_size, offset=params.offset)
    ranked = retrieved.ranked
    ids = ranked.ids
    ranker_version = None
    if reranking and ranker is not None and not retrieved.fuzzy and retrieved.terms:
        top = ids[: ltr.RERANK_WINDOW]
        ids = ltr.rerank(ranker, prepare(retrieved.terms), top, ranked.scores[: len(top)]) + ids[ltr.RERANK_WINDOW :]
        ranker_version = ranker.version
    page_ids = ids[params.offset : params.offset + params.page_size] if reranking else ids
    hits = load_hits(page_ids, first_position=params.offset + 1)
    effective_query = " ".join(retrieved.terms)
    query_id = None
    if log:
        query_id = behaviour.log_search(
            params=params,
            effective_query="" if retrieved.fuzzy else effective_query,
            result_count=ranked.total,
            product_ids=[hit.product_id for hit in hits],
            ranker_version=ranker_version,
            user_id=user_id,
            session_key=session_key,
        )
    corrected_query = " ".join(retrieved.correction) if retrieved.correction else None
    return SearchResult(
        query=params.q,
        effective_query=effective_query,
        did_you_mean=corrected_query if corrected_query and not retrieved.auto_corrected else None,
        auto_corrected=retrieved.auto_corrected,
        fuzzy=retrieved.fuzzy,
        total=ranked.total,
        page=params.page,
        page_size=params.page_size,
        hits=hits,
        facets=ranked.facets,
        query_id=query_id,
        ranker_version=ranker_version,
    )


def facets(params: SearchParams) -> SearchResult:
    """Counts and facets only (the facets endpoint): no ranking, no log."""
    terms = text.terms(params.q)
    ranked = backends.get_backend().search(params, terms, limit=0)
    return SearchResult(
        query=params.q,
        effective_query=" ".join(terms),
        did_you_mean=None,
        auto_corrected=False,
        fuzzy=False,
        total=ranked.total,
        page=1,
        page_size=params.page_size,
        hits=[],
        facets=ranked.facets,
    )


def load_hits(product_ids: Sequence[int], first_position: int = 1) -> list[Hit]:
    rows = {
        row["product_id"]: row for row in SearchDocument.objects.filter(product_id__in=product_ids).values(*HIT_FIELDS)
    }
    hits = []
    for product_id in product_ids:
        row = rows.get(product_id)
        if row is not None:
            hits.append(Hit(**row, position=first_position + len(hits)))
    return hits


def base_ranking(params: SearchParams, terms: list[str], limit: int) -> tuple[list[int], list[float]]:
    """The base score's top ``limit`` (no facets, no correction, no model): what learning-to-rank starts from."""
    ranked = backends.get_backend().search(params, terms, limit=limit)
    return ranked.ids, ranked.scores


def features_for_logged(effective_query: str, filters: dict, shown: list[int]) -> np.ndarray | None:
    """Features of the products a logged search showed, with their base scores and ranks recomputed."""
    terms = text.terms(effective_query)
    if not terms:
        return None
    params = from_filters(effective_query, filters)
    ids, scores = base_ranking(params, terms, ltr.RERANK_WINDOW)
    position = {pid: i for i, pid in enumerate(ids)}
    base_scores = [scores[position[pid]] if pid in position else 0.0 for pid in shown]
    base_ranks = [position.get(pid, ltr.RERANK_WINDOW) for pid in shown]
    return ltr.features(prepare(terms), shown, base_scores, base_ranks)
