"""Writing the interaction log: validation, the buffered view path, flushing and pruning.

Signals from other domains (add-to-cart, purchases) arrive through event
consumers and are written in the consumer's transaction (exactly once per
event thanks to its dedup mark). Product views are far more numerous and need
no such guarantee, so the storefront pushes them onto a Redis list and a beat
task moves them to PostgreSQL in bulk: a page view costs one pipelined Redis
round trip, not an INSERT.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.client import Pipeline

from shop.core.redis import get_redis
from shop.recs import context
from shop.recs.clients import request_redis
from shop.recs.context import Visitor
from shop.recs.models import Interaction

log = logging.getLogger(__name__)

KINDS = {
    context.VIEW: Interaction.Kind.VIEW,
    context.ADD_TO_CART: Interaction.Kind.ADD_TO_CART,
    context.PURCHASE: Interaction.Kind.PURCHASE,
}
KIND_NAMES = {value: name for name, value in KINDS.items()}
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_ID = 10**18
VIEW_BUFFER_KEY = "recs:viewbuf"
FLUSH_LOCK_KEY = "recs:viewbuf:lock"
FLUSH_BATCH = 1_000
FLUSH_MAX_BATCHES = 50
PRUNE_CHUNK = 5_000


class InvalidInteraction(ValueError):
    """The signal cannot be recorded as given (unknown kind, no visitor, bad id)."""


def build(
    kind: str,
    product_id: int,
    user_id: int | None = None,
    session_id: str | None = None,
    *,
    quantity: int = 1,
    occurred_at: datetime | None = None,
) -> Interaction:
    """A validated, unsaved log row."""
    if kind not in KINDS:
        raise InvalidInteraction(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    if not isinstance(product_id, int) or not 0 < product_id < MAX_ID:
        raise InvalidInteraction(f"product_id must be a positive integer, not {product_id!r}")
    if user_id is not None and (not isinstance(user_id, int) or not 0 < user_id < MAX_ID):
        raise InvalidInteraction(f"user_id must be a positive integer or None, not {user_id!r}")
    session_id = session_id or ""
    if session_id and not SESSION_ID.match(session_id):
        raise InvalidInteraction("session_id must be 1-64 letters, digits or _.:-")
    if user_id is None and not session_id:
        raise InvalidInteraction("an interaction needs a user_id or a session_id")
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInteraction(f"quantity must be a positive integer, not {quantity!r}")
    return Interaction(
        kind=KINDS[kind],
        product_id=product_id,
        user_id=user_id,
        session_id=session_id,
        quantity=quantity,
        occurred_at=occurred_at or timezone.now(),
    )


def record(rows: list[Interaction]) -> int:
    """Append rows to the log; their live context follows once the transaction commits."""
    if not rows:
        return 0
    Interaction.objects.bulk_create(rows, batch_size=1_000)

    def note(pipe: Pipeline) -> None:
        for row in rows:
            visitor = Visitor(user_id=row.user_id, session_id=row.session_id)
            context.queue_note(pipe, visitor, KIND_NAMES[row.kind], row.product_id, row.occurred_at.timestamp())

    update_context_on_commit(note)
    return len(rows)


def update_context_on_commit(queue: Callable[[Pipeline], None]) -> None:
    """Run ``queue``'s context commands once the caller's transaction commits (at once outside one).

    Best effort: a lost context update only makes a few lookups a little less fresh.
    """

    def apply() -> None:
        try:
            pipe = request_redis().pipeline(transaction=False)
            queue(pipe)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("recs: live context not updated (%s); the log is unaffected", exc)

    transaction.on_commit(apply)


def buffer_view(product_id: int, visitor: Visitor) -> None:
    """The storefront's view signal: buffered in Redis (one round trip), flushed in bulk.

    With Redis down the row is written straight to PostgreSQL instead.
    """
    row = build(context.VIEW, product_id, visitor.user_id, visitor.session_id)
    at = time.time()
    try:
        pipe = request_redis().pipeline(transaction=False)
        pipe.rpush(VIEW_BUFFER_KEY, json.dumps([product_id, visitor.user_id, visitor.session_id, at]))
        context.queue_note(pipe, visitor, context.VIEW, product_id, at)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("recs: Redis unavailable buffering a view (%s); writing it to PostgreSQL", exc)
        Interaction.objects.bulk_create([row])


def flush_views() -> int:
    """Move buffered views to the log, ``FLUSH_BATCH`` at a time (one flusher at a time).

    The buffer's head is read, inserted, then trimmed: a crash in between
    inserts that batch twice at worst, which a count of views tolerates.
    """
    client = get_redis()
    if not client.set(FLUSH_LOCK_KEY, 1, nx=True, ex=120):
        return 0
    moved = 0
    try:
        for _ in range(FLUSH_MAX_BATCHES):
            raws = client.lrange(VIEW_BUFFER_KEY, 0, FLUSH_BATCH - 1)
            if not raws:
                break
            rows = [row for row in (_parse_buffered(raw) for raw in raws) if row is not None]
            Interaction.objects.bulk_create(rows)
            client.ltrim(VIEW_BUFFER_KEY, len(raws), -1)
            moved += len(rows)
            if len(raws) < FLUSH_BATCH:
                break
    finally:
        client.delete(FLUSH_LOCK_KEY)
    return moved


def _parse_buffered(raw: bytes) -> Interaction | None:
    try:
        product_id, user_id, session_id, at = json.loads(raw)
        return build(context.VIEW, product_id, user_id, session_id, occurred_at=datetime.fromtimestamp(at, tz=UTC))
    except (ValueError, TypeError) as exc:
        log.warning("recs: dropping a malformed buffered view %r (%s)", raw[:200], exc)
        return None


LogRow = tuple[int, int, int, int | None, str, datetime]  # id, kind, product_id, user_id, session_id, occurred_at
_LOG_BATCH_SQL = (
    'SELECT id, kind, product_id, user_id, session_id, occurred_at FROM "recs_interaction" '
    "WHERE (occurred_at, id) > (%s, %s) AND occurred_at < %s ORDER BY occurred_at, id LIMIT %s"
)


def iter_log(since: datetime, until: datetime, batch_size: int) -> Iterator[list[LogRow]]:
    """The log rows with ``since <= occurred_at < until`` in time order, ``batch_size`` per query.

    Keyset pagination on the ``(occurred_at, id)`` index: each batch is one
    index range scan, whatever order rows were inserted in (late events and
    backfills carry old timestamps), and memory holds one batch.
    """
    last = (since, 0)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_LOG_BATCH_SQL, [*last, until, batch_size])
            batch: list[LogRow] = cursor.fetchall()
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = (batch[-1][5], batch[-1][0])


def prune(now: datetime | None = None) -> int:
    """Delete log rows older than their kind's retention (``RECS_RETENTION_DAYS``), in chunks."""
    now = now or timezone.now()
    deleted = 0
    for name, kind in KINDS.items():
        cutoff = now - timedelta(days=settings.RECS_RETENTION_DAYS[name])
        while True:
            ids = list(
                Interaction.objects.filter(occurred_at__lt=cutoff, kind=kind).values_list("id", flat=True)[:PRUNE_CHUNK]
            )
            if not ids:
                break
            deleted += Interaction.objects.filter(id__in=ids).delete()[0]
    return deleted
