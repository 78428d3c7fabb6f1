"""Search relevance on human judgments: base ranking vs learning-to-rank.

    python bench/search_relevance.py --judgments EVAL.csv.gz [--train TRAIN.csv.gz]

Input: one or two files in the common judgments format (CSV, optionally gzipped,
header ``query,product_id,title,description,relevance``; UTF-8, or Latin-1 if it
is not valid UTF-8; relevance is any number, higher is better).

What it does, on its own fresh database:

1. every product found in the files is created through the catalog's service
   (``shop.catalog.services.create_products``, in batches) in a category "Evaluation", and the
   search index is built by the search projection's full rebuild, the same code
   the event consumers use;
2. training queries: those of ``--train``; without it, the queries of EVAL whose
   BLAKE2b-64 hash of the query text is even (a fixed split, about half; the
   odd half is evaluated). Queries present in both sets are dropped from training;
3. for every training query the real search service retrieves the top
   ``RERANK_WINDOW`` (100) candidates; the judged ones, with their ranking
   features and labels (relevance scaled to integer grades 0..4), train the
   LightGBM lambdarank model, which is saved and activated like any model;
4. every evaluation query is run through the search service against the whole
   index, once with the base ranking and once with the model, 100 results each.

Metrics (judged pools are shallow, so unjudged products are skipped, not
counted as irrelevant: the ranking is "condensed" to its judged products):
nDCG@10 with gain = relevance - the lowest relevance in EVAL, the ideal ranking
made from every judgment of the query (so judged products the search does not
retrieve cost score); MRR of the first relevant product, relevant meaning a
gain of at least half the scale. Queries whose judged products all have the
lowest grade have no ideal ranking and are left out (counted in
``queries_without_relevant``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import math
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_env, emit, flush_redis, fresh_database, log, manage, setup_django

if TYPE_CHECKING:
    from shop.search import ltr
    from shop.search.params import SearchParams

COLUMNS = ("query", "product_id", "title", "description", "relevance")
CREATE_BATCH = 5000
RESULTS_DEPTH = 100
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Judgment:
    query: str
    product_id: str
    title: str
    description: str
    relevance: float


def read_judgments(path: Path) -> list[Judgment]:
    """Rows of a judgments file (gzip or plain; UTF-8 or Latin-1)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            relevance = float(row["relevance"])
        except ValueError:
            raise SystemExit(f"{path}:{line}: relevance {row['relevance']!r} is not a number") from None
        if not row["query"].strip() or not row["product_id"].strip() or not math.isfinite(relevance):
            continue
        rows.append(
            Judgment(
                row["query"].strip(), row["product_id"].strip(), row["title"] or "", row["description"] or "", relevance
            )
        )
    if not rows:
        raise SystemExit(f"{path}: no judgments")
    return rows


def by_query(rows: list[Judgment]) -> dict[str, dict[str, float]]:
    """query -> product -> relevance (the mean, when a pair is judged twice)."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        sums[row.query][row.product_id].append(row.relevance)
    return {q: {p: sum(v) / len(v) for p, v in products.items()} for q, products in sums.items()}


def in_training_half(query: str) -> bool:
    return int.from_bytes(hashlib.blake2b(query.encode(), digest_size=8).digest(), "big") % 2 == 0


def create_products(rows: list[Judgment]) -> dict[str, int]:
    """Each distinct product of the files, created through the catalog service; file id -> catalog id."""
    from shop.catalog.models import Category
    from shop.catalog.services import NewProduct, create_products

    category = Category.objects.add_root(instance=Category(name="Evaluation", slug="evaluation"))
    products: dict[str, Judgment] = {}
    for row in rows:
        products.setdefault(row.product_id, row)
    ids: dict[str, int] = {}
    started = time.monotonic()
    items = list(products.values())
    for start in range(0, len(items), CREATE_BATCH):
        batch = items[start : start + CREATE_BATCH]
        new = [
            NewProduct(
                name=(row.title.strip() or row.product_id)[:500],
                description=row.description,
                price=Decimal("1.00"),
                external_id=row.product_id[:64],
                sku_code=f"EVAL-{start + offset}",
            )
            for offset, row in enumerate(batch)
        ]
        ids.update(zip((row.product_id for row in batch), create_products(category, new), strict=True))
        log(f"created {len(ids)}/{len(items)} products ({time.monotonic() - started:.0f}s)")
    return ids


def train_in_child(groups: list[ltr.Group], rounds: int) -> ltr.Trained:
    """Train in a separate process: LightGBM's OpenMP threads must not exist in the
    parent, or the evaluation processes forked from it would deadlock on them."""
    from django.db import connections

    connections.close_all()
    with multiprocessing.get_context("fork").Pool(1, initializer=connections.close_all) as pool:
        return pool.apply(_train, (groups, rounds))


def _train(groups: list[ltr.Group], rounds: int) -> ltr.Trained:
    from shop.search import ltr

    return ltr.train(groups, rounds=rounds)


def parallel_map(function: Callable[[T], R], items: list[T], workers: int) -> Iterator[R]:
    """``map`` over forked processes, each with its own database connection; results in order."""
    from django.db import connections

    if workers <= 1:
        yield from map(function, items)
        return
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers, initializer=connections.close_all) as pool:
        yield from pool.imap(function, items, chunksize=1)


def integer_grades(judged: dict[str, float], low: float, high: float) -> dict[str, int]:
    span = (high - low) or 1.0
    return {p: round((r - low) / span * 4) for p, r in judged.items()}


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def score_ranking(
    ranking: list[str], judged: dict[str, float], low: float, relevant_gain: float
) -> tuple[float, float]:
    """(nDCG@10, reciprocal rank) of a ranking condensed to its judged products."""
    condensed = [p for p in ranking if p in judged]
    gains = [judged[p] - low for p in condensed]
    ideal = dcg(sorted((r - low for r in judged.values()), reverse=True)[:10])
    ndcg = dcg(gains[:10]) / ideal if ideal > 0 else 0.0
    rr = next((1.0 / (i + 1) for i, g in enumerate(gains) if g >= relevant_gain), 0.0)
    return ndcg, rr


_SHARED: dict[str, dict[int, str]] = {}  # set before the worker processes fork


def _params(query: str) -> SearchParams:
    from shop.search.params import SearchParams

    return SearchParams(q=query, page_size=RESULTS_DEPTH, facets=())


def _training_group(item: tuple[str, dict[str, int]]) -> ltr.Group | None:
    """The judged products among a training query's candidates, with their features and grades."""
    from shop.search import engine, ltr
    from shop.search.backends.postgres import prepare

    query, grades = item
    catalog_to_file = _SHARED["catalog_to_file"]
    retrieved = engine.retrieve(_params(query), limit=ltr.RERANK_WINDOW)
    if retrieved.fuzzy or not retrieved.terms:
        return None
    candidates = retrieved.ranked.ids
    rows = [i for i, pid in enumerate(candidates) if catalog_to_file.get(pid) in grades]
    if len(rows) < 2:
        return None
    matrix = ltr.features(prepare(retrieved.terms), candidates, retrieved.ranked.scores)
    return ltr.Group(matrix[rows], [grades[catalog_to_file[candidates[i]]] for i in rows])


def _evaluate(item: tuple[str, dict[str, float], float, float]) -> tuple[dict[str, float], int, int]:
    """nDCG@10 and reciprocal rank of one query, base and learning-to-rank."""
    from shop.search import engine

    query, judged, low, relevant_gain = item
    catalog_to_file = _SHARED["catalog_to_file"]
    scores = {}
    found = 0
    for name, use_ranker in (("base", False), ("ltr", True)):
        result = engine.search(_params(query), log=False, use_ranker=use_ranker)
        ranking = [catalog_to_file.get(hit.product_id, "") for hit in result.hits]
        scores[f"ndcg10_{name}"], scores[f"mrr_{name}"] = score_ranking(ranking, judged, low, relevant_gain)
        if name == "base":
            found = sum(1 for p in ranking if p in judged)
    return scores, found, len(judged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judgments", type=Path, required=True, help="evaluation judgments (CSV or CSV.gz)")
    parser.add_argument("--train", type=Path, help="training judgments; without it, half of EVAL's queries (by hash)")
    parser.add_argument("--workers", type=int, default=2, help="processes running queries")
    parser.add_argument(
        "--rounds", type=int, default=300, help="LightGBM boosting rounds (early stopping may stop sooner)"
    )
    args = parser.parse_args()

    started = time.monotonic()
    eval_rows = read_judgments(args.judgments)
    train_rows = read_judgments(args.train) if args.train else []
    eval_judged = by_query(eval_rows)
    if args.train:
        train_judged = {q: j for q, j in by_query(train_rows).items() if q not in eval_judged}
        split = "train file"
    else:
        train_judged = {q: j for q, j in eval_judged.items() if in_training_half(q)}
        eval_judged = {q: j for q, j in eval_judged.items() if not in_training_half(q)}
        split = "blake2b(query) even = train, odd = evaluate"
    low = min(r.relevance for r in eval_rows)
    high = max(r.relevance for r in eval_rows)
    train_low = min((r.relevance for r in train_rows), default=low)
    train_high = max((r.relevance for r in train_rows), default=high)
    log(f"{len(eval_judged)} evaluation queries, {len(train_judged)} training queries ({split})")

    model_dir = tempfile.mkdtemp(prefix="search-relevance-models-")
    env = bench_env(fresh_database("search_relevance"), SEARCH_MODEL_DIR=model_dir)
    manage(env, "migrate", "--noinput", "-v", "0")
    flush_redis(env)
    setup_django(env)

    from shop.search import engine, ltr, projection  # imported before any fork, so workers share this code
    from shop.search.backends import postgres

    assert engine
    assert postgres
    ids = create_products(eval_rows + train_rows)
    catalog_to_file = {v: k for k, v in ids.items()}
    indexing_started = time.monotonic()
    stats = projection.rebuild()
    log(f"indexed {stats.indexed} documents in {time.monotonic() - indexing_started:.0f}s")

    train_started = time.monotonic()
    train_items = [(query, integer_grades(judged, train_low, train_high)) for query, judged in train_judged.items()]
    _SHARED["catalog_to_file"] = catalog_to_file
    groups = [group for group in parallel_map(_training_group, train_items, args.workers) if group is not None]
    trained = train_in_child(groups, args.rounds)
    # Evaluated whatever it scored on the hold-out; `ranker_beats_base_on_validation` says whether
    # train_search_ranker would have promoted it (it keeps the base ranking otherwise).
    model = ltr.save(trained, source=f"judgments:{(args.train or args.judgments).name}", activate=True)
    log(
        f"trained ranker v{model.version} on {trained.queries} queries in {time.monotonic() - train_started:.0f}s:"
        f" {trained.metrics}"
    )

    relevant_gain = (high - low) / 2
    totals = {"ndcg10_base": 0.0, "ndcg10_ltr": 0.0, "mrr_base": 0.0, "mrr_ltr": 0.0}
    without_relevant = sum(1 for judged in eval_judged.values() if max(judged.values()) - low <= 0)
    eval_items = [
        (query, judged, low, relevant_gain) for query, judged in eval_judged.items() if max(judged.values()) - low > 0
    ]
    retrieved_judged = judged_total = 0
    eval_started = time.monotonic()
    for scores, found, judged_count in parallel_map(_evaluate, eval_items, args.workers):
        for key, value in scores.items():
            totals[key] += value
        retrieved_judged += found
        judged_total += judged_count
    evaluated = len(eval_items)
    log(f"evaluated {evaluated} queries in {time.monotonic() - eval_started:.0f}s")

    figures: dict[str, object] = {key: round(value / max(1, evaluated), 4) for key, value in totals.items()}
    figures.update(
        {
            "queries": evaluated,
            "queries_without_relevant": without_relevant,
            "train_queries": trained.queries,
            "split": split,
            "products": len(ids),
            "judged_recall_at_100": round(retrieved_judged / max(1, judged_total), 4),
            "ranker_version": model.version,
            "ranker_rounds": int(trained.metrics.get("rounds", 0)),
            "ranker_beats_base_on_validation": ltr.beats_base(trained),
            "seconds": round(time.monotonic() - started, 1),
        }
    )
    shutil.rmtree(model_dir, ignore_errors=True)
    emit(figures)


if __name__ == "__main__":
    main()
