"""The training job: interaction log -> ALS, co-occurrence and popularity -> top-N lists -> a model version.

Memory stays bounded by the model, not the log: the log is read in id ranges
of ``READ_BATCH`` rows and folded into sparse count matrices as it goes, and
the catalog is walked in batches. The output is written to PostgreSQL as a
new ``ModelVersion`` (status ``ready``); ``shop.recs.publishing`` activates
it and copies it to Redis.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from implicit.als import AlternatingLeastSquares
from implicit.nearest_neighbours import ItemItemRecommender

from shop.catalog import services as catalog
from shop.recs import algorithms
from shop.recs.cards import Card, card_for, consumable_category_ids, write_cards
from shop.recs.interactions import KIND_NAMES, iter_log
from shop.recs.locks import advisory_lock
from shop.recs.models import Interaction, ModelVersion, RecList

log = logging.getLogger(__name__)

READ_BATCH = 20_000
COMPACT_AT = 1_000_000  # pending (row, col) pairs folded into the sparse sums
SAVE_BATCH = 2_000
TRAINING_LOCK_KEY = 0x5EC0_0001  # pg advisory lock: one training at a time


@dataclasses.dataclass(frozen=True)
class Window:
    since: datetime  # training window start
    popular_since: datetime  # "popular right now" window start
    bought_since: datetime  # "just bought" window start
    until: datetime


class _Counts:
    """A growing sparse count matrix: (row, col) pairs are buffered, then summed in bulk."""

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._total: sp.csr_matrix | None = None

    def add(self, rows: np.ndarray, cols: np.ndarray) -> None:
        if rows.size:
            self._rows.append(rows)
            self._cols.append(cols)

    def pending(self) -> int:
        return sum(part.size for part in self._rows)

    def matrix(self, shape: tuple[int, int]) -> sp.csr_matrix:
        total = self._total if self._total is not None else sp.csr_matrix(shape, dtype=np.float32)
        total = total.copy()
        total.resize(shape)
        if self._rows:
            rows, cols = np.concatenate(self._rows), np.concatenate(self._cols)
            total = total + algorithms.interaction_matrix(rows, cols, np.ones(rows.size, np.float32), shape)
            self._rows, self._cols = [], []
        self._total = sp.csr_matrix(total, dtype=np.float32)
        return self._total


@dataclasses.dataclass
class LogData:
    """The log folded into count matrices: rows are visitors, columns products."""

    row_keys: list[str] = dataclasses.field(default_factory=list)
    col_ids: list[int] = dataclasses.field(default_factory=list)
    counts: dict[str, _Counts] = dataclasses.field(default_factory=dict)  # "view", "recent:view", "bought", ...
    rows_read: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_keys), len(self.col_ids)

    def matrix(self, name: str) -> sp.csr_matrix:
        return self.counts.setdefault(name, _Counts()).matrix(self.shape)


def read_log(window: Window) -> LogData:
    """Fold the window's interactions into count matrices, ``READ_BATCH`` rows per query."""
    data = LogData()
    row_index: dict[str, int] = {}
    col_index: dict[int, int] = {}
    for batch in iter_log(window.since, window.until, READ_BATCH):
        rows = np.empty(len(batch), np.int32)
        cols = np.empty(len(batch), np.int32)
        kinds = np.empty(len(batch), np.int8)
        recent = np.empty(len(batch), bool)
        bought = np.empty(len(batch), bool)
        for i, (_id, kind, product_id, user_id, session_id, occurred_at) in enumerate(batch):
            key = f"u:{user_id}" if user_id else f"s:{session_id}"
            row = row_index.get(key)
            if row is None:
                row = row_index[key] = len(data.row_keys)
                data.row_keys.append(key)
            col = col_index.get(product_id)
            if col is None:
                col = col_index[product_id] = len(data.col_ids)
                data.col_ids.append(product_id)
            rows[i], cols[i], kinds[i] = row, col, kind
            recent[i] = occurred_at >= window.popular_since
            bought[i] = kind == Interaction.Kind.PURCHASE and occurred_at >= window.bought_since
        for kind, name in KIND_NAMES.items():
            mask = kinds == kind
            data.counts.setdefault(name, _Counts()).add(rows[mask], cols[mask])
            data.counts.setdefault(f"recent:{name}", _Counts()).add(rows[mask & recent], cols[mask & recent])
        data.counts.setdefault("bought", _Counts()).add(rows[bought], cols[bought])
        data.rows_read += len(batch)
        if sum(counts.pending() for counts in data.counts.values()) >= COMPACT_AT:
            for name in list(data.counts):
                data.matrix(name)
    return data


def confidence(data: LogData, prefix: str = "") -> sp.csr_matrix:
    """Per (visitor, product): the signals' weights summed, views capped so refreshing a page is not buying it."""
    weights = settings.RECS_WEIGHTS
    total = sp.csr_matrix(data.shape, dtype=np.float32)
    for name in KIND_NAMES.values():
        counts = data.matrix(prefix + name)
        if name == "view":
            counts = counts.minimum(settings.RECS_VIEW_CAP)
        total = total + counts * np.float32(weights[name])
    return sp.csr_matrix(total, dtype=np.float32)


def cooccurrence_input(data: LogData) -> sp.csr_matrix:
    """Bought or carted together counts 1 per visitor; merely viewed together counts 0.1, so
    "bought together" wins wherever there is evidence and views fill the gaps."""
    strong = (data.matrix("purchase") + data.matrix("add_to_cart")).sign()
    viewed = data.matrix("view").sign()
    weak = viewed - viewed.multiply(strong)
    result = sp.csr_matrix(strong + weak * np.float32(0.1), dtype=np.float32)
    result.eliminate_zeros()
    return result


@dataclasses.dataclass
class CatalogView:
    """What training needs to know about products, from one bounded walk over the catalog."""

    category: dict[int, int]  # product id -> category id (interacted products only)
    available: set[int]  # interacted products that may be recommended
    consumable: set[int]
    best_rated: list[int]  # cold-start popularity: available products by rating count


def walk_catalog(product_ids: set[int], keep_best: int) -> CatalogView:
    """One pass over the catalog: refresh every product card in Redis (best effort) and
    collect the facts about the interacted products."""
    consumables = consumable_category_ids()
    view = CatalogView({}, set(), set(), [])
    heap: list[tuple[int, int]] = []
    batch: list[Card] = []
    cards_ok = True
    for product in catalog.iter_products(batch_size=500):
        card = card_for(product, consumables)
        batch.append(card)
        if len(batch) >= 500:
            cards_ok = _write_cards(batch, cards_ok)
            batch = []
        if card.available:
            item = (product.rating_count, -product.product_id)
            if len(heap) < keep_best:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        if product.product_id in product_ids:
            view.category[product.product_id] = card.category_id
            if card.available:
                view.available.add(product.product_id)
            if card.consumable:
                view.consumable.add(product.product_id)
    _write_cards(batch, cards_ok)
    view.best_rated = [-negative_id for _count, negative_id in sorted(heap, reverse=True)]
    return view


def _write_cards(batch: list[Card], ok: bool) -> bool:
    if not ok or not batch:
        return ok
    try:
        write_cards(batch)
    except Exception as exc:  # Redis down: training still produces the version; cards are repaired later
        log.warning("recs: could not write product cards to Redis (%s); continuing without", exc)
        return False
    return True


def train(now: datetime | None = None) -> ModelVersion:
    """Train on the log and save a ready (not yet active) version; ``locks.Busy`` if one is running."""
    with advisory_lock(TRAINING_LOCK_KEY, wait=False):
        return _train(now or timezone.now())


def _train(now: datetime) -> ModelVersion:
    params = algorithms.AlsParams(**settings.RECS_ALS)
    window = Window(
        since=now - timedelta(days=settings.RECS_TRAINING_WINDOW_DAYS),
        popular_since=now - timedelta(days=settings.RECS_POPULAR_DAYS),
        bought_since=now - timedelta(days=settings.RECS_JUST_BOUGHT_DAYS),
        until=now,
    )
    version = ModelVersion.objects.create(
        params={**dataclasses.asdict(params), "related_source": settings.RECS_RELATED_SOURCE},
        data_from=window.since,
        data_until=window.until,
    )
    try:
        stats = _build(version, window, params)
    except Exception as exc:
        ModelVersion.objects.filter(id=version.id).update(status=ModelVersion.Status.FAILED, error=repr(exc)[:2000])
        log.exception("recs: training v%s failed", version.id)
        raise
    version.status = ModelVersion.Status.READY
    version.trained_at = timezone.now()
    version.stats = stats
    version.save(update_fields=["status", "trained_at", "stats"])
    log.info("recs: trained v%s: %s", version.id, stats)
    return version


def _build(version: ModelVersion, window: Window, params: algorithms.AlsParams) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.monotonic()
    data = read_log(window)
    timings["read_s"] = time.monotonic() - started
    col_ids = np.array(data.col_ids, dtype=np.int64)

    mark = time.monotonic()
    products = walk_catalog(set(data.col_ids), settings.RECS_POPULAR_LIST_LENGTH)
    timings["catalog_s"] = time.monotonic() - mark
    unavailable = np.array([c for c, pid in enumerate(data.col_ids) if pid not in products.available], dtype=np.int32)

    mark = time.monotonic()
    popular = _popular(data, col_ids, products)
    by_category = _popular_by_category(data, col_ids, products)
    als = algorithms.fit_als(confidence(data), params) if min(data.shape) >= 2 else None
    timings["als_s"] = time.monotonic() - mark
    user_lists = _user_lists(data, col_ids, products, unavailable, als)
    related = _related_lists(data, col_ids, unavailable, als)

    mark = time.monotonic()
    saved = _save(
        version,
        _rows(RecList.Kind.POPULAR, [(0, popular)]),
        _rows(RecList.Kind.CATEGORY, by_category),
        _rows(RecList.Kind.USER, user_lists),
        _rows(RecList.Kind.ITEM, related),
    )
    timings["save_s"] = time.monotonic() - mark
    return {
        "interactions": data.rows_read,
        "visitors": data.shape[0],
        "products": data.shape[1],
        "lists": saved,
        **{name: round(value, 3) for name, value in timings.items()},
    }


def _popular(data: LogData, col_ids: np.ndarray, products: CatalogView) -> list[int]:
    """Recently popular first, then popular over the whole window, then best rated (a cold start)."""
    recent = confidence(data, "recent:")
    recent_reach = np.diff(sp.csc_matrix(recent).indptr)
    ranked: dict[int, None] = {}
    for col in algorithms.popularity(recent):
        if recent_reach[col] == 0:
            break
        ranked[int(col_ids[col])] = None
    for col in algorithms.popularity(confidence(data)):
        ranked[int(col_ids[col])] = None
    for pid in products.best_rated:
        ranked[pid] = None
    return [pid for pid in ranked if pid in products.available or pid in products.best_rated][
        : settings.RECS_POPULAR_LIST_LENGTH
    ]


def _popular_by_category(data: LogData, col_ids: np.ndarray, products: CatalogView) -> list[tuple[int, list[int]]]:
    limit = settings.RECS_RELATED_LIST_LENGTH
    lists: dict[int, list[int]] = {}
    if data.shape[1]:
        for col in algorithms.popularity(confidence(data)):
            pid = int(col_ids[col])
            if pid in products.available:
                ranked = lists.setdefault(products.category[pid], [])
                if len(ranked) < limit:
                    ranked.append(pid)
    return sorted(lists.items())


def _user_lists(
    data: LogData,
    col_ids: np.ndarray,
    products: CatalogView,
    unavailable: np.ndarray,
    model: AlternatingLeastSquares | None,
) -> Iterator[tuple[int, list[int]]]:
    """ALS top N per customer (guest sessions get live blending instead), minus what they just bought."""
    user_rows = np.array([row for row, key in enumerate(data.row_keys) if key.startswith("u:")], dtype=np.int32)
    if model is None or user_rows.size == 0:
        return
    just_bought = data.matrix("bought").sign()
    if products.consumable:
        keep = np.array([pid not in products.consumable for pid in data.col_ids], dtype=np.float32)
        just_bought = just_bought @ sp.diags(keep, format="csr")
        just_bought.eliminate_zeros()  # implicit filters by stored index, zero or not
    for row, cols in algorithms.recommend_for_rows(
        model,
        user_rows,
        settings.RECS_USER_LIST_LENGTH,
        user_items=just_bought,
        filter_seen=True,
        unavailable=unavailable,
    ):
        if cols.size:
            yield int(data.row_keys[row][2:]), col_ids[cols].tolist()


def _related_lists(
    data: LogData, col_ids: np.ndarray, unavailable: np.ndarray, als: AlternatingLeastSquares | None
) -> Iterator[tuple[int, list[int]]]:
    """Top N neighbours per product, from co-occurrence (the default) or the ALS item factors."""
    if data.shape[1] < 2:
        return
    length = settings.RECS_RELATED_LIST_LENGTH
    if settings.RECS_RELATED_SOURCE == "als" and als is not None:
        model: AlternatingLeastSquares | ItemItemRecommender = als
    else:
        model = algorithms.fit_cooccurrence(cooccurrence_input(data), length)
    items = np.arange(data.shape[1], dtype=np.int32)
    for col, cols in algorithms.related_items(model, items, length, unavailable=unavailable):
        if cols.size:
            yield int(col_ids[col]), col_ids[cols].tolist()


def _rows(
    kind: str, lists: Iterator[tuple[int, list[int]]] | list[tuple[int, list[int]]]
) -> Iterator[tuple[str, int, list[int]]]:
    for key, items in lists:
        yield kind, key, items


def _save(version: ModelVersion, *sources: Iterator[tuple[str, int, list[int]]]) -> int:
    saved = 0
    batch: list[RecList] = []
    for source in sources:
        for kind, key, items in source:
            batch.append(RecList(version=version, kind=kind, key=key, items=items))
            if len(batch) >= SAVE_BATCH:
                saved += _insert(batch)
                batch = []
    return saved + _insert(batch)


def _insert(batch: list[RecList]) -> int:
    with transaction.atomic():
        RecList.objects.bulk_create(batch)
    return len(batch)
