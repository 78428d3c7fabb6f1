"""What shoppers do with search results: the query log, clicks, add-to-carts and
purchases, and the processor that turns them into ranking signals.

The request path only INSERTs (one row per search, one per interaction). The
processor (Celery beat, every 30 s) takes unprocessed rows under ``FOR UPDATE
SKIP LOCKED``, adds them to the per-product counters, copies the smoothed
signals onto the search documents, updates query statistics and logs the
ranking features of what was shown, all in the transaction that stamps the
rows processed: each row counts exactly once, even with several workers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from shop.cart import services as cart
from shop.search import behaviour_math, ltr
from shop.search.models import ProductSignal, SearchDocument, SearchInteraction, SearchQueryLog
from shop.search.params import SearchParams
from shop.search.text import normalize

PROCESS_BATCH = 1000
FEATURE_LOGS_PER_BATCH = 200
ATTRIBUTION_WINDOW = timedelta(hours=2)
LABELS = {SearchInteraction.Kind.CLICK: 1, SearchInteraction.Kind.CART: 2, SearchInteraction.Kind.PURCHASE: 3}


def guest_cart_key(cart_id: str) -> str:
    """How a guest is known to both the search log and the cart's events: their cart's public id."""
    return f"cart:{cart_id}"


def visitor_key(request: HttpRequest) -> str | None:
    """The anonymous shopper behind a request: their guest cart if they have one, else their session."""
    cart_id = cart.cart_id_from_token(cart.token_from_request(request))
    if cart_id:
        return guest_cart_key(cart_id)
    session = getattr(request, "session", None)
    return session.session_key if session is not None else None


def session_hash(session_key: str | None) -> str:
    """Sessions are linked by a hash, never by the key itself (the key is a credential)."""
    if not session_key:
        return ""
    return hashlib.blake2b(session_key.encode(), digest_size=16).hexdigest()


def log_search(
    *,
    params: SearchParams,
    effective_query: str,
    result_count: int,
    product_ids: list[int],
    ranker_version: int | None,
    user_id: int | None,
    session_key: str | None,
) -> str:
    """Record one served search; returns its public id (for click attribution)."""
    token = uuid.uuid4()
    with transaction.atomic():
        # A search log lost in a database crash costs nothing; waiting for its WAL flush costs every search.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        SearchQueryLog.objects.create(
            token=token,
            query=params.q[:200],
            normalized=normalize(params.q)[:200],
            effective_query=effective_query[:200],
            filters=params.filters_dict(),
            sort=params.sort,
            page=params.page,
            result_count=result_count,
            product_ids=product_ids,
            ranker_version=ranker_version,
            user_id=user_id,
            session_hash=session_hash(session_key),
        )
    return str(token)


def _query_log_id(query_id: str | None) -> int | None:
    if not query_id:
        return None
    try:
        token = uuid.UUID(str(query_id))
    except ValueError:
        return None
    return SearchQueryLog.objects.filter(token=token).values_list("id", flat=True).first()


def record_click(query_id: str | None, product_id: int, position: int | None = None) -> bool:
    """A shopper opened ``product_id`` from the results of search ``query_id``; False if that search is unknown
    or did not show the product."""
    log_id = _query_log_id(query_id)
    if log_id is None:
        return False
    shown = SearchQueryLog.objects.filter(id=log_id, product_ids__contains=[int(product_id)]).exists()
    if not shown:
        return False
    SearchInteraction.objects.create(
        kind=SearchInteraction.Kind.CLICK, product_id=int(product_id), query_log_id=log_id, position=position
    )
    return True


def _attribute(product_id: int, user_id: int | None, session_key: str | None, at: datetime | None) -> int | None:
    """The latest search by the same shopper, in the two hours before ``at`` (default now), that showed the product."""
    who = Q()
    if user_id is not None:
        who |= Q(user_id=user_id)
    if session_key:
        who |= Q(session_hash=session_hash(session_key))
    if not who:
        return None
    at = at or timezone.now()
    return (
        SearchQueryLog.objects.filter(who, created_at__gte=at - ATTRIBUTION_WINDOW, created_at__lte=at)
        .filter(product_ids__contains=[int(product_id)])
        .order_by("-created_at")
        .values_list("id", flat=True)
        .first()
    )


def record_add_to_cart(
    product_id: int,
    *,
    query_id: str | None = None,
    user_id: int | None = None,
    session_key: str | None = None,
    quantity: int = 1,
    at: datetime | None = None,
) -> None:
    """A product was put in a cart (at ``at``, default now); tied to the search it came from when known
    (given, or the same shopper's latest search before that which showed it)."""
    log_id = _query_log_id(query_id) or _attribute(product_id, user_id, session_key, at)
    SearchInteraction.objects.create(
        kind=SearchInteraction.Kind.CART, product_id=int(product_id), query_log_id=log_id, quantity=max(1, quantity)
    )


def record_purchase(
    product_ids: Iterable[int],
    *,
    user_id: int | None = None,
    session_key: str | None = None,
    at: datetime | None = None,
) -> None:
    """Products were bought (an order was placed, at ``at``): the strongest signal of all."""
    SearchInteraction.objects.bulk_create(
        SearchInteraction(
            kind=SearchInteraction.Kind.PURCHASE,
            product_id=int(product_id),
            query_log_id=_attribute(product_id, user_id, session_key, at),
        )
        for product_id in dict.fromkeys(int(p) for p in product_ids)
    )


# ---------------------------------------------------------------------------
# Processing
# ---------------------------------------------------------------------------


def process_pending(batch: int = PROCESS_BATCH) -> int:
    """Process one batch of unprocessed logs and interactions; returns how many rows it took."""
    now = timezone.now()
    with transaction.atomic():
        logs = list(
            SearchQueryLog.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .order_by("id")[:batch]
        )
        interactions = list(
            SearchInteraction.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .order_by("id")[:batch]
        )
        if not logs and not interactions:
            return 0
        deltas: dict[int, Counter[str]] = defaultdict(Counter)
        for entry in logs:
            for product_id in entry.product_ids:
                deltas[product_id]["impressions"] += 1
        field_of = {"click": "clicks", "cart": "add_to_carts", "purchase": "purchases"}
        for interaction in interactions:
            deltas[interaction.product_id][field_of[interaction.kind]] += (
                interaction.quantity if interaction.kind != "click" else 1
            )
        _add_to_signals(deltas)
        _update_query_stats(logs, now)
        _log_features(logs)
        SearchQueryLog.objects.filter(id__in=[e.id for e in logs]).update(processed_at=now)
        SearchInteraction.objects.filter(id__in=[i.id for i in interactions]).update(processed_at=now)
    return len(logs) + len(interactions)


def _add_to_signals(deltas: dict[int, Counter[str]]) -> None:
    if not deltas:
        return
    ids = sorted(deltas)  # one lock order for every processor
    rows = [
        (pid, deltas[pid]["impressions"], deltas[pid]["clicks"], deltas[pid]["add_to_carts"], deltas[pid]["purchases"])
        for pid in ids
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_productsignal (product_id, impressions, clicks, add_to_carts, purchases, updated_at)"
            " SELECT u.*, now() FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
            " AS u(product_id, impressions, clicks, add_to_carts, purchases)"
            " ON CONFLICT (product_id) DO UPDATE SET"
            " impressions = search_productsignal.impressions + excluded.impressions,"
            " clicks = search_productsignal.clicks + excluded.clicks,"
            " add_to_carts = search_productsignal.add_to_carts + excluded.add_to_carts,"
            " purchases = search_productsignal.purchases + excluded.purchases, updated_at = now()",
            [list(column) for column in zip(*rows, strict=True)],
        )
    documents = []
    for signal in ProductSignal.objects.filter(product_id__in=ids).order_by("product_id"):
        documents.append(
            SearchDocument(
                product_id=signal.product_id,
                ctr=behaviour_math.ctr(signal.impressions, signal.clicks),
                conversion_rate=behaviour_math.conversion_rate(signal.clicks, signal.add_to_carts, signal.purchases),
                popularity=behaviour_math.popularity(signal.clicks, signal.add_to_carts, signal.purchases),
            )
        )
    # A signal whose product has no document (deleted, inactive) matches no row: nothing to filter first.
    SearchDocument.objects.bulk_update(documents, ["ctr", "conversion_rate", "popularity"], batch_size=500)


def _update_query_stats(logs: list[SearchQueryLog], now: object) -> None:
    stats: dict[str, list[int]] = {}
    for entry in logs:
        if entry.normalized and entry.page == 1:
            count, _ = stats.get(entry.normalized, [0, 0])
            stats[entry.normalized] = [count + 1, entry.result_count]
    if not stats:
        return
    keys = sorted(stats)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchquerystat (normalized, searches, last_result_count, last_searched_at)"
            " SELECT u.n, u.c, u.r, %s FROM unnest(%s::text[], %s::int[], %s::int[]) AS u(n, c, r)"
            " ON CONFLICT (normalized) DO UPDATE SET searches = search_searchquerystat.searches + excluded.searches,"
            " last_result_count = excluded.last_result_count, last_searched_at = excluded.last_searched_at",
            [now, keys, [stats[k][0] for k in keys], [stats[k][1] for k in keys]],
        )


def _log_features(logs: list[SearchQueryLog]) -> None:
    """Features of the products each relevance-ranked first page showed, as they are now (moments after)."""
    from shop.search import engine  # engine logs through this module: imported here to avoid the cycle

    eligible = [e for e in logs if e.sort == "relevance" and e.page == 1 and e.product_ids and e.effective_query]
    for entry in eligible[:FEATURE_LOGS_PER_BATCH]:
        matrix = engine.features_for_logged(entry.effective_query, entry.filters, entry.product_ids)
        if matrix is not None:
            entry.features = matrix.round(6).tolist()
            entry.feature_version = ltr.FEATURE_VERSION
            entry.save(update_fields=["features", "feature_version"])


def training_groups(since: timedelta) -> list[ltr.Group]:
    """Logged searches with features and at least one interaction, labelled by the best thing that happened to
    each shown product (purchase 3, add to cart 2, click 1, nothing 0)."""
    logs = list(
        SearchQueryLog.objects.filter(
            created_at__gte=timezone.now() - since, feature_version=ltr.FEATURE_VERSION, features__isnull=False
        ).values("id", "product_ids", "features")
    )
    by_log: dict[int, dict[int, int]] = defaultdict(dict)
    interactions = SearchInteraction.objects.filter(query_log_id__in=[entry["id"] for entry in logs]).values_list(
        "query_log_id", "product_id", "kind"
    )
    for log_id, product_id, kind in interactions:
        label = LABELS[kind]
        by_log[log_id][product_id] = max(by_log[log_id].get(product_id, 0), label)
    groups = []
    for entry in logs:
        labels_of = by_log.get(entry["id"])
        if not labels_of:
            continue
        groups.append(
            ltr.Group(
                np.asarray(entry["features"], dtype=np.float64),
                [labels_of.get(pid, 0) for pid in entry["product_ids"]],
            )
        )
    return groups


def prune(days: int) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    for model in (SearchInteraction, SearchQueryLog):
        while True:
            ids = list(model.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:5000])
            if not ids:
                break
            deleted += model.objects.filter(id__in=ids).delete()[0]
    return deleted
