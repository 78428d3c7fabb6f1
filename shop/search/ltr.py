"""Learning to rank: ranking features, LightGBM lambdarank training, versioned models.

The same :func:`features` serve three callers: re-ranking at query time, the
log processor (features of what was shown, logged soon after it was shown, so
training never sees behaviour that happened after the impression), and the
relevance benchmark (features of judged products). Models are files under
``SEARCH_MODEL_DIR`` named by version, registered in ``RankerModel`` with their
checksum; the active one is loaded once per process and reloaded when the
``search.ranker`` version in Redis moves. No model, an unreadable file or a
feature-set mismatch: ranking stays on the base score.
"""

# ruff: noqa: S608  (SQL here is assembled from constant fragments; every value is a bound parameter)

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from shop.core.http_cache import bump_version, current_version
from shop.search.backends.postgres import RANK_WEIGHTS, PreparedQuery, matched_terms_sql
from shop.search.models import RankerModel

log = logging.getLogger(__name__)

FEATURE_VERSION = 1
FEATURES = [
    "base_score",
    "base_rank",
    "query_terms",
    "text_rank",
    "name_rank",
    "coverage",
    "name_coverage",
    "brand_coverage",
    "category_coverage",
    "attribute_coverage",
    "description_coverage",
    "name_similarity",
    "phrase_in_name",
    "name_starts_with_query",
    "name_words",
    "description_chars",
    "ctr",
    "conversion_rate",
    "popularity",
    "rating_bayes",
    "log_rating_count",
    "log_price",
    "discount",
    "in_stock",
    "fast_delivery",
]
RERANK_WINDOW = 100
VERSION_NAME = "search.ranker"
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    # Small, regularized trees: judged or clicked training sets are often a few hundred queries.
    "num_leaves": 7,
    "min_data_in_leaf": 50,
    "lambda_l2": 10.0,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "verbosity": -1,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
}


def features(
    prepared: PreparedQuery,
    product_ids: Sequence[int],
    base_scores: Sequence[float],
    base_ranks: Sequence[int] | None = None,
) -> np.ndarray:
    """One row of ``FEATURES`` per product, in the order given (``base_scores`` and
    ``base_ranks`` in that order too; without ranks, the order given is the base order)."""
    ids = [int(i) for i in product_ids]
    matrix = np.zeros((len(ids), len(FEATURES)), dtype=np.float64)
    if not ids:
        return matrix
    n = max(1, len(prepared.term_queries))
    any_query = prepared.any_query or "''"
    coverage_sql = []
    coverage_params: list[Any] = []
    for vector in (
        "d.search_vector",
        "d.name_vector",
        "to_tsvector('english', d.brand)",
        "to_tsvector('english', d.category_text)",
        "to_tsvector('english', d.attributes_text)",
        "to_tsvector('english', left(d.description, 5000))",
    ):
        sql, params = matched_terms_sql(vector, prepared)
        coverage_sql.append(f"({sql})::float / {n}")
        coverage_params += params
    raw = prepared.raw
    sql = f"""
        SELECT d.product_id,
               ts_rank_cd('{RANK_WEIGHTS}', d.search_vector, %s::tsquery, 32),
               ts_rank(d.name_vector, %s::tsquery),
               {", ".join(coverage_sql)},
               word_similarity(%s, lower(d.name)),
               (strpos(lower(d.name), %s) > 0)::int,
               (left(lower(d.name), length(%s)) = %s)::int,
               coalesce(array_length(regexp_split_to_array(btrim(d.name), '\\s+'), 1), 0),
               length(d.description),
               d.ctr, d.conversion_rate, d.popularity,
               (d.rating_avg * d.rating_count + 35) / (d.rating_count + 10),
               ln(1 + d.rating_count),
               ln(1 + d.price),
               CASE WHEN d.list_price > d.price AND d.list_price > 0 THEN 1 - d.price / d.list_price ELSE 0 END,
               d.in_stock::int, d.fast_delivery::int
        FROM search_searchdocument d WHERE d.product_id = ANY(%s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [any_query, any_query, *coverage_params, raw, raw, raw, raw, ids])
        rows = {int(row[0]): row[1:] for row in cursor.fetchall()}
    for i, product_id in enumerate(ids):
        row = rows.get(product_id)
        if row is None:
            continue
        matrix[i, 0] = base_scores[i] if i < len(base_scores) else 0.0
        matrix[i, 1] = base_ranks[i] if base_ranks is not None else i
        matrix[i, 2] = len(prepared.term_queries)
        matrix[i, 3:] = [float(value) for value in row]
    return matrix


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One query's candidates: their feature rows and graded labels (0 = not relevant)."""

    features: np.ndarray
    labels: list[int]


@dataclass(frozen=True)
class Trained:
    model_text: str
    metrics: dict[str, float]
    queries: int


def train(groups: list[Group], *, rounds: int = 300, valid_fraction: float = 0.15, seed: int = 7) -> Trained:
    """Fit a lambdarank model; a fixed, seeded share of the queries is held out for early stopping."""
    import lightgbm as lgb

    usable = [g for g in groups if len(g.labels) >= 2 and len(set(g.labels)) >= 2]
    if len(usable) < 5:
        raise ValueError(f"need at least 5 queries with two or more differently labelled results, got {len(usable)}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(usable))
    n_valid = max(1, int(len(usable) * valid_fraction)) if len(usable) >= 20 else 0
    valid = [usable[i] for i in order[:n_valid]]
    fit = [usable[i] for i in order[n_valid:]]

    def dataset(part: list[Group], reference: Any = None) -> Any:
        return lgb.Dataset(
            np.vstack([g.features for g in part]),
            label=np.concatenate([g.labels for g in part]),
            group=[len(g.labels) for g in part],
            feature_name=FEATURES,
            reference=reference,
            free_raw_data=False,
        )

    train_set = dataset(fit)
    params = dict(DEFAULT_PARAMS, seed=seed)
    callbacks = []
    valid_sets = []
    if valid:
        valid_sets = [dataset(valid, train_set)]
        callbacks.append(lgb.early_stopping(30, verbose=False))
    booster = lgb.train(params, train_set, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks)
    best = booster.best_iteration or None
    metrics: dict[str, float] = {"rounds": float(best or booster.current_iteration())}
    if valid:
        metrics["valid_ndcg10"] = mean_ndcg10(valid, [booster.predict(g.features, num_iteration=best) for g in valid])
        metrics["valid_ndcg10_base"] = mean_ndcg10(valid, [-g.features[:, FEATURES.index("base_rank")] for g in valid])
    return Trained(booster.model_to_string(num_iteration=best), metrics, len(usable))


def mean_ndcg10(groups: list[Group], scores: list[np.ndarray]) -> float:
    """Mean nDCG@10 (gain 2^label - 1, LightGBM's) of ordering each group by its scores."""
    total = 0.0
    for group, score in zip(groups, scores, strict=True):
        labels = np.asarray(group.labels, dtype=np.float64)
        order = np.argsort(-score, kind="stable")[:10]
        discounts = 1 / np.log2(np.arange(2, 12))
        dcg = float(np.sum((2 ** labels[order] - 1) * discounts[: len(order)]))
        ideal = np.sort(labels)[::-1][:10]
        idcg = float(np.sum((2**ideal - 1) * discounts[: len(ideal)]))
        total += dcg / idcg if idcg else 0.0
    return total / max(1, len(groups))


def beats_base(trained: Trained) -> bool:
    """Whether the model ranked the held-out queries better than the base score did (True without a hold-out)."""
    metrics = trained.metrics
    if "valid_ndcg10" not in metrics:
        return True
    return metrics["valid_ndcg10"] > metrics["valid_ndcg10_base"]


def save(trained: Trained, *, source: str, activate: bool = True) -> RankerModel:
    """Write the model as the next version's file, register it and (by default) make it the active one."""
    directory = Path(settings.SEARCH_MODEL_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE search_rankermodel IN SHARE ROW EXCLUSIVE MODE")
        last = RankerModel.objects.order_by("-version").values_list("version", flat=True).first() or 0
        version = last + 1
        file_name = f"ranker-v{version:04d}.txt"
        data = trained.model_text.encode()
        (directory / file_name).write_bytes(data)
        model = RankerModel.objects.create(
            version=version,
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            feature_version=FEATURE_VERSION,
            feature_names=FEATURES,
            source=source,
            training_queries=trained.queries,
            metrics=trained.metrics,
        )
        if activate:
            activate_version(version)
    return model


def activate_version(version: int | None) -> None:
    """Make ``version`` the active model (``None``: none, rank by the base score)."""
    with transaction.atomic():
        RankerModel.objects.filter(is_active=True).update(is_active=False)
        if version is not None:
            updated = RankerModel.objects.filter(version=version).update(is_active=True)
            if not updated:
                raise RankerModel.DoesNotExist(f"no ranker version {version}")
        transaction.on_commit(lambda: bump_version(VERSION_NAME))


# ---------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranker:
    version: int
    booster: Any

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return self.booster.predict(matrix, num_threads=1)


_loaded: dict[str, Any] = {"generation": None, "ranker": None}
_lock = threading.Lock()


def active_ranker() -> Ranker | None:
    """The active model, loaded once per process and again only when the version key moves."""
    generation = current_version(VERSION_NAME)
    if _loaded["generation"] == generation:
        return _loaded["ranker"]
    with _lock:
        if _loaded["generation"] != generation:
            _loaded["ranker"] = _load_active()
            _loaded["generation"] = generation
    return _loaded["ranker"]


def _load_active() -> Ranker | None:
    import lightgbm as lgb

    model = RankerModel.objects.filter(is_active=True).first()
    if model is None:
        return None
    if model.feature_version != FEATURE_VERSION or model.feature_names != FEATURES:
        log.warning("ranker v%s was trained on other features; ranking by the base score", model.version)
        return None
    path = Path(settings.SEARCH_MODEL_DIR) / model.file_name
    try:
        data = path.read_bytes()
    except OSError:
        log.warning("ranker v%s: cannot read %s; ranking by the base score", model.version, path)
        return None
    if hashlib.sha256(data).hexdigest() != model.sha256:
        log.warning("ranker v%s: %s does not match its checksum; ranking by the base score", model.version, path)
        return None
    return Ranker(model.version, lgb.Booster(model_str=data.decode()))


def rerank(ranker: Ranker, prepared: PreparedQuery, ids: list[int], scores: list[float]) -> list[int]:
    """``ids`` (the base ranking's top) in the model's order; ties keep the base order."""
    if len(ids) < 2:
        return ids
    predicted = ranker.predict(features(prepared, ids, scores))
    order = sorted(range(len(ids)), key=lambda i: (-predicted[i], i))
    return [ids[i] for i in order]
