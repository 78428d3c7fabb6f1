"""The recommendation maths, free of Django, shared by the training job and ``bench/recs_eval.py``.

Rows of the interaction matrix are visitors (customers or guest sessions),
columns are products, values are implicit-feedback strengths. Three sources of
lists come out of it:

- ALS (the ``implicit`` library) for "recommended for you": BM25-weighted
  confidences, tuned on the UCI Online Retail log (see docs/recs.md);
- item-item co-occurrence ("customers who bought this also bought"), which
  beat the ALS item similarities on held-out baskets;
- popularity, the fallback for new visitors and products.

Everything is index-based (row/column numbers); callers map ids to indices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight, tfidf_weight
from threadpoolctl import threadpool_limits

WEIGHTINGS = ("bm25", "tfidf", "none")
# implicit pads short result rows with this id (and a score of -FLT_MAX).
_PAD_ID = -1
_PAD_SCORE = -1e30


@dataclasses.dataclass(frozen=True)
class AlsParams:
    """ALS hyper-parameters. The defaults are the tuned values (docs/recs.md has the grid)."""

    factors: int = 200
    regularization: float = 20.0
    iterations: int = 30
    alpha: float = 0.5
    weighting: str = "bm25"
    bm25_k1: float = 100.0
    bm25_b: float = 0.5
    random_state: int | None = 42

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {self.weighting!r}")
        if self.factors < 1 or self.iterations < 1 or self.regularization < 0 or self.alpha <= 0:
            raise ValueError(f"invalid ALS parameters: {self}")


def interaction_matrix(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix where repeated (row, col) pairs are summed."""
    matrix = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


def weighted(matrix: sp.csr_matrix, params: AlsParams) -> sp.csr_matrix:
    """Confidence values for ALS: BM25 or TF-IDF damp heavy users and very popular items."""
    if params.weighting == "bm25":
        result = bm25_weight(matrix, K1=params.bm25_k1, B=params.bm25_b)
    elif params.weighting == "tfidf":
        result = tfidf_weight(matrix)
    else:
        result = matrix
    return sp.csr_matrix(result, dtype=np.float32)


def fit_als(matrix: sp.csr_matrix, params: AlsParams, *, threads: int = 0) -> AlternatingLeastSquares:
    """Fit ALS on the raw (unweighted) visitor-by-product matrix."""
    with threadpool_limits(1, "blas"):  # implicit parallelises itself; nested BLAS threads slow it down
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            iterations=params.iterations,
            alpha=params.alpha,
            random_state=params.random_state,
            num_threads=threads,
        )
        model.fit(weighted(matrix, params), show_progress=False)
    return model


def fit_cooccurrence(matrix: sp.csr_matrix, neighbours: int, *, threads: int = 0) -> ItemItemRecommender:
    """Item-item co-occurrence: similarity(i, j) = sum over visitors of x_vi * x_vj, top ``neighbours`` kept.

    Pass a binary purchase matrix for plain "bought together" counts; smaller
    values for weaker signals (views) make them count less.
    """
    model = ItemItemRecommender(K=neighbours + 1, num_threads=threads)
    model.fit(sp.csr_matrix(matrix, dtype=np.float64), show_progress=False)
    return model


def popularity(matrix: sp.csr_matrix) -> np.ndarray:
    """Column indices by number of distinct visitors (ties: total weight), most popular first."""
    reach = np.diff(sp.csc_matrix(matrix).indptr).astype(np.float64)
    total = np.asarray(matrix.sum(axis=0)).ravel()
    scale = total.max() + 1.0 if total.size else 1.0
    return np.argsort(-(reach + total / scale), kind="stable")


def recommend_for_rows(
    model: AlternatingLeastSquares | ItemItemRecommender,
    rows: np.ndarray,
    n: int,
    *,
    user_items: sp.csr_matrix,
    filter_seen: bool,
    unavailable: np.ndarray | None = None,
    batch_size: int = 2000,
) -> Iterator[tuple[int, np.ndarray]]:
    """Top ``n`` column indices per row, a bounded batch at a time.

    ``user_items`` (one row per matrix row) is what an item-item model scores
    from; ALS only uses it to drop each row's own items when ``filter_seen``,
    so the training job passes "just bought" there. ``unavailable`` columns are
    never returned to anyone.
    """
    filter_items = unavailable if unavailable is not None and unavailable.size else None
    cooccurrence = isinstance(model, ItemItemRecommender)
    n = min(n, _item_count(model))  # asking for more than there are returns junk padding
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        ids, scores = model.recommend(
            chunk, user_items[chunk], N=n, filter_already_liked_items=filter_seen, filter_items=filter_items
        )
        for row, row_ids, row_scores in zip(chunk, ids, scores, strict=True):
            yield int(row), row_ids[_kept(row_ids, row_scores, positive=cooccurrence)]


def _item_count(model: AlternatingLeastSquares | ItemItemRecommender) -> int:
    if isinstance(model, ItemItemRecommender):
        return model.similarity.shape[0]
    return model.item_factors.shape[0]


def _kept(ids: np.ndarray, scores: np.ndarray, *, positive: bool) -> np.ndarray:
    """Mask of real results: implicit pads short rows, and a zero co-occurrence is no evidence."""
    keep = (ids != _PAD_ID) & (scores > _PAD_SCORE)
    return keep & (scores > 0) if positive else keep


def related_items(
    model: AlternatingLeastSquares | ItemItemRecommender,
    items: np.ndarray,
    n: int,
    *,
    unavailable: np.ndarray | None = None,
    batch_size: int = 2000,
) -> Iterator[tuple[int, np.ndarray]]:
    """Top ``n`` neighbours per item (never the item itself), in batches."""
    filter_items = unavailable if unavailable is not None and unavailable.size else None
    cooccurrence = isinstance(model, ItemItemRecommender)
    asked = min(n + 1, _item_count(model))
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        ids, scores = model.similar_items(chunk, N=asked, filter_items=filter_items)
        for item, row_ids, row_scores in zip(chunk, ids, scores, strict=True):
            keep = _kept(row_ids, row_scores, positive=cooccurrence) & (row_ids != item)
            yield int(item), row_ids[keep][:n]
