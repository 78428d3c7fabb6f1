"""Offline evaluation of the recommenders on a real purchase log (UCI Online Retail format).

Trains popularity, item-item co-occurrence and ALS (``shop.recs.algorithms``,
the code the training job runs) on purchases before ``--split-date`` and
tests on each customer's purchases from that date on:

- precision@10, recall@10, nDCG@10 and catalog coverage per method, over every
  customer who buys in the test period (customers unknown to a model get the
  popularity list, as in production; short lists are filled from it too);
- the same for *new* items only (``*_new`` keys: what they had bought before
  is neither recommended nor counted), the stricter view;
- item-to-item lists on held-out baskets (``i2i_*``): for each item of a test
  invoice, how many of its 10 neighbours are in the same invoice;
- training time, and the latency of the real serving lookups
  (``shop.recs.serving``: Redis, live-context blending, exclusions) after the
  lists are published to Redis database ``BENCH_REDIS_DB`` (default 13).

    python bench/recs_eval.py --data ../shared/data/online_retail/online_retail.csv.gz --split-date 2011-10-15
    python bench/recs_eval.py --data PATH --split-date YYYY-MM-DD --tune   # grid search on a validation month

Input: CSV (optionally gzipped) with the columns InvoiceNo, StockCode,
Quantity, InvoiceDate, UnitPrice, CustomerID (Description is optional). Rows
are cleaned as the data set's README suggests: a customer id, not a
cancellation (``C`` invoice), quantity and price above zero, a product-like
stock code. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import io
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_env, bench_redis_url, emit, log, percentile, setup_django
from shop.recs import algorithms

K = 10
USER_LIST_LENGTH = 50  # as RECS_USER_LIST_LENGTH
RELATED_LIST_LENGTH = 30  # as RECS_RELATED_LIST_LENGTH
POPULAR_LIST_LENGTH = 100
PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]*$")
REQUIRED_COLUMNS = {"InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M")


@dataclasses.dataclass(frozen=True)
class Purchase:
    customer: int
    code: str
    invoice: str
    day: date
    description: str
    price: float


def parse_day(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_purchases(path: Path) -> tuple[list[Purchase], Counter[str]]:
    """Clean purchase lines; also a count of the rows dropped, by reason."""
    dropped: Counter[str] = Counter()
    purchases: list[Purchase] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text:
        reader = csv.DictReader(text)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            customer, invoice = (row["CustomerID"] or "").strip(), (row["InvoiceNo"] or "").strip()
            code = (row["StockCode"] or "").strip().upper()
            if not customer:
                dropped["no customer"] += 1
                continue
            if not invoice or invoice.upper().startswith("C"):
                dropped["cancellation"] += 1
                continue
            if not PRODUCT_CODE.match(code):
                dropped["not a product"] += 1
                continue
            try:
                customer_id = int(float(customer))
                quantity = float(row["Quantity"])
                price = float(row["UnitPrice"])
            except ValueError:
                dropped["unparsable number"] += 1
                continue
            day = parse_day(row["InvoiceDate"] or "")
            if day is None:
                dropped["unparsable date"] += 1
                continue
            if quantity <= 0 or price <= 0:
                dropped["quantity or price not positive"] += 1
                continue
            description = (row.get("Description") or "").strip()
            purchases.append(Purchase(customer_id, code, invoice, day, description, price))
    return purchases, dropped


@dataclasses.dataclass
class Split:
    customers: list[int]  # matrix rows
    items: list[str]  # matrix columns
    matrix: sp.csr_matrix  # distinct invoices per (customer, item), training period
    truth: dict[int, set[str]]  # customer -> items bought in the test period
    baskets: list[set[int]]  # test invoices with >= 2 known items, as column sets

    @property
    def row_of(self) -> dict[int, int]:
        return {customer: row for row, customer in enumerate(self.customers)}

    @property
    def col_of(self) -> dict[str, int]:
        return {code: col for col, code in enumerate(self.items)}


def split(purchases: list[Purchase], split_day: date, end_day: date | None = None) -> Split:
    train = [p for p in purchases if p.day < split_day]
    test = [p for p in purchases if p.day >= split_day and (end_day is None or p.day < end_day)]
    if not train or not test:
        raise SystemExit(f"split {split_day}: {len(train)} training and {len(test)} test lines; both must be non-empty")
    customers = sorted({p.customer for p in train})
    items = sorted({p.code for p in train})
    row_of = {c: i for i, c in enumerate(customers)}
    col_of = {c: i for i, c in enumerate(items)}
    invoices = {(row_of[p.customer], col_of[p.code], p.invoice) for p in train}
    rows = np.fromiter((r for r, _, _ in invoices), np.int32, len(invoices))
    cols = np.fromiter((c for _, c, _ in invoices), np.int32, len(invoices))
    matrix = algorithms.interaction_matrix(rows, cols, np.ones(len(invoices), np.float32), (len(customers), len(items)))
    truth: dict[int, set[str]] = defaultdict(set)
    by_invoice: dict[str, set[int]] = defaultdict(set)
    for p in test:
        truth[p.customer].add(p.code)
        if p.code in col_of:
            by_invoice[p.invoice].add(col_of[p.code])
    baskets = [basket for basket in by_invoice.values() if len(basket) >= 2]
    return Split(customers, items, matrix, dict(truth), baskets)


# --- user-level metrics ---------------------------------------------------------------------------


Recommender = Callable[[int | None, bool], list[int]]  # (matrix row or None, new_only) -> columns, best first


def user_metrics(data: Split, recommend: Recommender, *, new_only: bool) -> dict[str, float]:
    row_of, col_of = data.row_of, data.col_of
    precision = recall = ndcg = 0.0
    shown: set[int] = set()
    evaluated = 0
    for customer, bought in data.truth.items():
        row = row_of.get(customer)
        relevant = {col_of[code] for code in bought if code in col_of}
        total = len(bought)
        if new_only and row is not None:
            seen = set(data.matrix.indices[data.matrix.indptr[row] : data.matrix.indptr[row + 1]])
            relevant -= seen
            total = len({code for code in bought if code not in col_of or col_of[code] not in seen})
        if total == 0:
            continue
        recs = recommend(row, new_only)[:K]
        shown.update(recs)
        hits = [1.0 if col in relevant else 0.0 for col in recs]
        precision += sum(hits) / K
        recall += sum(hits) / total
        dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(total, K)))
        ndcg += dcg / ideal
        evaluated += 1
    return {
        "precision": precision / evaluated,
        "recall": recall / evaluated,
        "ndcg": ndcg / evaluated,
        "coverage": len(shown) / len(data.items),
        "customers": evaluated,
    }


def with_popularity_fill(lists: dict[int, list[int]], popular: np.ndarray, data: Split) -> Recommender:
    """Each row's list, then popular items (what production does for short lists and unknown customers)."""
    top_popular = [int(col) for col in popular[: K + USER_LIST_LENGTH]]

    def recommend(row: int | None, new_only: bool) -> list[int]:
        own = lists.get(row, []) if row is not None else []
        banned: set[int] = set()
        if new_only and row is not None:
            banned = set(data.matrix.indices[data.matrix.indptr[row] : data.matrix.indptr[row + 1]])
        result: list[int] = []
        for col in [*own, *top_popular]:
            if col not in banned and col not in result:
                result.append(col)
                if len(result) == K:
                    break
        return result

    return recommend


def model_lists(
    model: object, data: Split, rows: np.ndarray, user_items: sp.csr_matrix, *, new_only: bool, n: int = K
) -> dict[int, list[int]]:
    return {
        row: cols.tolist()
        for row, cols in algorithms.recommend_for_rows(model, rows, n, user_items=user_items, filter_seen=new_only)
    }


def i2i_metrics(data: Split, related: dict[int, list[int]]) -> dict[str, float]:
    """Leave-one-out on test baskets: the share of an item's 10 neighbours bought in the same invoice."""
    precision = hits = 0.0
    cases = 0
    for basket in data.baskets:
        for item in basket:
            neighbours = related.get(item, [])[:K]
            found = len(basket.intersection(neighbours))
            precision += found / K
            hits += found > 0
            cases += 1
    shown = {col for cols in related.values() for col in cols[:K]}
    return {
        "precision": precision / max(cases, 1),
        "hit": hits / max(cases, 1),
        "coverage": len(shown) / len(data.items),
    }


# --- the three methods ----------------------------------------------------------------------------


@dataclasses.dataclass
class Trained:
    popular: np.ndarray
    als_lists: dict[bool, dict[int, list[int]]]  # new_only -> row -> columns
    cooc_lists: dict[bool, dict[int, list[int]]]
    related_cooc: dict[int, list[int]]
    related_als: dict[int, list[int]]
    serving_user_lists: dict[int, list[int]]
    train_s: float
    train_als_s: float


def train_all(data: Split, params: algorithms.AlsParams, test_rows: np.ndarray) -> Trained:
    """Everything the nightly job computes, timed: popularity, co-occurrence, ALS, the lists."""
    binary = data.matrix.sign()
    started = time.perf_counter()
    popular = algorithms.popularity(data.matrix)
    cooc = algorithms.fit_cooccurrence(binary, RELATED_LIST_LENGTH)
    all_items = np.arange(len(data.items), dtype=np.int32)
    related_cooc = {
        item: cols.tolist() for item, cols in algorithms.related_items(cooc, all_items, RELATED_LIST_LENGTH)
    }
    als_started = time.perf_counter()
    als = algorithms.fit_als(data.matrix, params)
    train_als_s = time.perf_counter() - als_started
    all_rows = np.arange(len(data.customers), dtype=np.int32)
    serving_user_lists = model_lists(als, data, all_rows, data.matrix, new_only=False, n=USER_LIST_LENGTH)
    train_s = time.perf_counter() - started
    related_als = {item: cols.tolist() for item, cols in algorithms.related_items(als, all_items, RELATED_LIST_LENGTH)}
    return Trained(
        popular=popular,
        als_lists={flag: model_lists(als, data, test_rows, data.matrix, new_only=flag) for flag in (False, True)},
        cooc_lists={flag: model_lists(cooc, data, test_rows, binary, new_only=flag) for flag in (False, True)},
        related_cooc=related_cooc,
        related_als=related_als,
        serving_user_lists=serving_user_lists,
        train_s=train_s,
        train_als_s=train_als_s,
    )


def test_rows_of(data: Split) -> np.ndarray:
    row_of = data.row_of
    return np.array(sorted(row_of[c] for c in data.truth if c in row_of), dtype=np.int32)


def als_ndcg(data: Split, params: algorithms.AlsParams) -> float:
    """nDCG@10 of ALS alone (for tuning)."""
    model = algorithms.fit_als(data.matrix, params)
    lists = model_lists(model, data, test_rows_of(data), data.matrix, new_only=False)
    popular = algorithms.popularity(data.matrix)
    return user_metrics(data, with_popularity_fill(lists, popular, data), new_only=False)["ndcg"]


GRID: dict[str, list[object]] = {
    "weighting": ["bm25", "tfidf", "none"],
    "factors": [32, 64, 128, 200],
    "regularization": [0.05, 1.0, 5.0, 20.0],
    "alpha": [0.5, 1.0, 2.0, 10.0],
    "iterations": [10, 15, 30],
    "bm25_b": [0.5, 0.8, 1.0],
    "bm25_k1": [1.2, 100.0],
}


def tune(purchases: list[Purchase], split_day: date, validation_days: int, rounds: int = 2) -> algorithms.AlsParams:
    """Coordinate search on a validation split inside the training period (the test period stays unseen)."""
    validation = split(purchases, split_day - timedelta(days=validation_days), split_day)
    best = algorithms.AlsParams()
    best_score = als_ndcg(validation, best)
    log(f"tune: validation from {split_day - timedelta(days=validation_days)}; defaults nDCG@10 {best_score:.4f}")
    for round_number in range(rounds):
        improved = False
        for name, values in GRID.items():
            for value in values:
                if getattr(best, name) == value:
                    continue
                candidate = dataclasses.replace(best, **{name: value})
                score = als_ndcg(validation, candidate)
                log(f"tune round {round_number + 1}: {name}={value} nDCG@10 {score:.4f}")
                if score > best_score + 1e-4:
                    best, best_score, improved = candidate, score, True
        if not improved:
            break
    log(f"tune: best {best} nDCG@10 {best_score:.4f}")
    return best


# --- serving latency ------------------------------------------------------------------------------


def measure_lookups(data: Split, trained: Trained, purchases: list[Purchase], samples: int) -> dict[str, float]:
    """Publish the lists to Redis like the training job, then time the real service lookups."""
    env = bench_env(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop"))
    setup_django(env)
    from shop.core.redis import get_redis
    from shop.recs import cards, context, serving, store
    from shop.recs.context import Visitor

    client = get_redis()
    client.flushdb()
    product_id = {col: col + 1 for col in range(len(data.items))}  # stock codes become product ids 1..n
    details: dict[str, Purchase] = {}
    for p in purchases:
        details.setdefault(p.code, p)
    cards.write_cards(
        cards.Card(
            product_id[col],
            details[code].description or code,
            code.lower(),
            "",
            _money(details[code].price),
            "GBP",
            1,
            True,
            False,
        )
        for col, code in enumerate(data.items)
    )
    version = 1
    rows: list[tuple[str, int, list[int]]] = [
        ("pop", 0, [product_id[int(c)] for c in trained.popular[:POPULAR_LIST_LENGTH]])
    ]
    rows += [("cat", 1, [product_id[int(c)] for c in trained.popular[:RELATED_LIST_LENGTH]])]
    rows += [
        ("user", data.customers[row], [product_id[c] for c in cols]) for row, cols in trained.serving_user_lists.items()
    ]
    rows += [("item", product_id[item], [product_id[c] for c in cols]) for item, cols in trained.related_cooc.items()]
    store.write_lists(version, rows, client)
    store.switch(version, time.time(), client)

    rng = random.Random(7)
    customers = sorted(data.truth)
    products = list(product_id.values())
    # A third of the visitors have just browsed a few products, so blending is exercised too.
    pipe = client.pipeline(transaction=False)
    for customer in customers[::3]:
        for pid in rng.sample(products, 3):
            context.queue_note(pipe, Visitor(user_id=customer), context.VIEW, pid)
    pipe.execute()

    calls: list[Callable[[], object]] = []
    for customer in rng.choices(customers, k=samples):
        calls.append(lambda customer=customer: serving.recommended_for(Visitor(user_id=customer), limit=K))
    for pid in rng.choices(products, k=samples):
        calls.append(lambda pid=pid: serving.also_bought(pid, Visitor(session_id="bench-visitor-0001"), limit=K))
    for _ in range(samples // 2):
        cart = rng.sample(products, 3)
        calls.append(lambda cart=cart: serving.for_cart(cart, Visitor(session_id="bench-visitor-0002"), limit=K))
    rng.shuffle(calls)
    for call in calls[:200]:  # warm the connection pool and the code paths
        call()
    timings = []
    empty = 0
    for call in calls:
        started = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - started) * 1000)
        empty += not result.items  # type: ignore[attr-defined]
    timings.sort()
    client.flushdb()
    return {
        "lookup_p50_ms": percentile(timings, 50),
        "lookup_p99_ms": percentile(timings, 99),
        "lookup_max_ms": timings[-1],
        "lookups": len(timings),
        "lookups_empty": empty,
    }


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the purchase log (.csv or .csv.gz)")
    parser.add_argument("--split-date", required=True, type=date.fromisoformat, help="first test day, YYYY-MM-DD")
    parser.add_argument("--tune", action="store_true", help="grid-search ALS on a validation period first")
    parser.add_argument("--validation-days", type=int, default=30, help="length of the tuning validation period")
    parser.add_argument("--lookup-samples", type=int, default=2000, help="timed lookups per kind (0: skip)")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: no such file")

    started = time.perf_counter()
    purchases, dropped = read_purchases(args.data)
    log(f"{len(purchases)} purchase lines kept; dropped {dict(dropped)} ({time.perf_counter() - started:.1f}s)")
    data = split(purchases, args.split_date)
    log(
        f"train: {len(data.customers)} customers x {len(data.items)} items, {data.matrix.nnz} pairs; "
        f"test: {len(data.truth)} customers, {len(data.baskets)} baskets"
    )
    params = tune(purchases, args.split_date, args.validation_days) if args.tune else algorithms.AlsParams()
    test_rows = test_rows_of(data)
    trained = train_all(data, params, test_rows)
    log(f"trained in {trained.train_s:.2f}s (ALS fit {trained.train_als_s:.2f}s)")

    figures: dict[str, object] = {}
    for new_only in (False, True):
        suffix = "_new" if new_only else ""
        methods = {
            "pop": with_popularity_fill({}, trained.popular, data),
            "cooc": with_popularity_fill(trained.cooc_lists[new_only], trained.popular, data),
            "als": with_popularity_fill(trained.als_lists[new_only], trained.popular, data),
        }
        for name, recommend in methods.items():
            result = user_metrics(data, recommend, new_only=new_only)
            log(f"{name}{suffix}: " + ", ".join(f"{k} {v:.4f}" for k, v in result.items()))
            figures[f"precision10_{name}{suffix}"] = round(result["precision"], 4)
            figures[f"recall10_{name}{suffix}"] = round(result["recall"], 4)
            figures[f"ndcg10_{name}{suffix}"] = round(result["ndcg"], 4)
            figures[f"coverage_{name}{suffix}"] = round(result["coverage"], 4)
            figures[f"customers_evaluated{suffix}"] = result["customers"]
    for name, related in (("cooc", trained.related_cooc), ("als", trained.related_als)):
        result = i2i_metrics(data, related)
        log(f"item-to-item {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in result.items()))
        figures[f"i2i_precision10_{name}"] = round(result["precision"], 4)
        figures[f"i2i_hit10_{name}"] = round(result["hit"], 4)
        figures[f"i2i_coverage_{name}"] = round(result["coverage"], 4)
    figures["train_s"] = round(trained.train_s, 3)
    figures["train_als_s"] = round(trained.train_als_s, 3)
    if args.lookup_samples > 0:
        lookups = measure_lookups(data, trained, purchases, args.lookup_samples)
        log(f"lookups against {bench_redis_url()}: {lookups}")
        figures.update({k: round(v, 3) if isinstance(v, float) else v for k, v in lookups.items()})
    figures.update(
        {
            "split_date": args.split_date.isoformat(),
            "purchase_lines": len(purchases),
            "train_customers": len(data.customers),
            "train_items": len(data.items),
            "test_customers": len(data.truth),
            "als_params": dataclasses.asdict(params),
        }
    )
    emit(figures)


if __name__ == "__main__":
    main()
