"""Model versions from PostgreSQL to Redis: activation, refills, rollbacks and clean-up.

PostgreSQL is the source of truth (``ModelVersion.status == "active"``);
Redis holds the serving copy. Activating a version marks it active, copies its
lists into that version's Redis hashes and then flips the pointer
(``shop.recs.store.switch``). ``ensure_loaded`` (beat, every minute, and on a
lookup that finds no model) repairs Redis after a restart or an eviction
without retraining, and replays the live context it lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.core.redis import get_redis
from shop.recs import cards, context, store
from shop.recs.context import Visitor
from shop.recs.interactions import KIND_NAMES, iter_log
from shop.recs.locks import Busy, advisory_lock
from shop.recs.models import ModelVersion, RecList

log = logging.getLogger(__name__)

READ_BATCH = 2_000
REPLAY_BATCH = 5_000
DELETE_CHUNK = 5_000
PUBLISH_LOCK_KEY = 0x5EC0_0002  # pg advisory lock: one writer of the Redis copy at a time
# Written last: store.has_lists() checks it to tell a complete copy from a partial one.
LOAD_ORDER = [RecList.Kind.USER, RecList.Kind.ITEM, RecList.Kind.CATEGORY, RecList.Kind.POPULAR]


def activate(version_id: int) -> ModelVersion:
    """Make a ready (or retired, for a rollback) version the one served, in PostgreSQL then Redis."""
    with advisory_lock(PUBLISH_LOCK_KEY, wait=True):
        with transaction.atomic():
            version = ModelVersion.objects.select_for_update().get(id=version_id)
            if version.status not in (
                ModelVersion.Status.READY,
                ModelVersion.Status.RETIRED,
                ModelVersion.Status.ACTIVE,
            ):
                raise ValueError(f"v{version.id} is {version.status}; only ready or retired versions can be activated")
            ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exclude(id=version.id).update(
                status=ModelVersion.Status.RETIRED
            )
            version.status = ModelVersion.Status.ACTIVE
            version.activated_at = timezone.now()
            version.save(update_fields=["status", "activated_at"])
        _load(version)
    log.info("recs: v%s is active", version.id)
    return version


def ensure_loaded() -> str:
    """Make Redis serve the active version; returns what it did (for logs and tests)."""
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    if active is None:
        return "no active version"
    client = get_redis()
    pointer = store.read_pointer(client)
    if pointer is not None and pointer.version == active.id and store.has_lists(active.id, client):
        if not client.exists(cards.CARDS_KEY):
            cards.rebuild_cards()
            return "cards rebuilt"
        return "up to date"
    try:
        with advisory_lock(PUBLISH_LOCK_KEY, wait=False):
            log.warning("recs: Redis serves %s, not active v%s; refilling from PostgreSQL", pointer, active.id)
            if not client.exists(cards.CARDS_KEY):
                cards.rebuild_cards()
            _load(active)
            if pointer is None and active.data_until is not None:
                replay_context(active.data_until)
    except Busy:
        return "busy"
    return "refilled"


def _load(version: ModelVersion) -> None:
    written = 0
    for kind in LOAD_ORDER:
        written += store.write_lists(version.id, _lists(version.id, kind))
    trained_at = (version.trained_at or version.created_at).timestamp()
    store.switch(version.id, trained_at)
    log.info("recs: loaded %d lists of v%s into Redis", written, version.id)


def _lists(version_id: int, kind: str) -> Iterator[tuple[str, int, list[int]]]:
    """A version's lists of one kind, in key order, ``READ_BATCH`` rows per query."""
    last_key: int | None = None
    while True:
        rows = RecList.objects.filter(version_id=version_id, kind=kind)
        if last_key is not None:
            rows = rows.filter(key__gt=last_key)
        batch = list(rows.order_by("key").values_list("key", "items")[:READ_BATCH])
        for key, items in batch:
            yield kind, key, items
        if len(batch) < READ_BATCH:
            return
        last_key = batch[-1][0]


def replay_context(since: datetime) -> int:
    """Rebuild live context (views, cart adds, purchases) from the log since ``since``."""
    replayed = 0
    client = get_redis()
    for batch in iter_log(since, timezone.now(), REPLAY_BATCH):
        pipe = client.pipeline(transaction=False)
        for _id, kind, product_id, user_id, session_id, occurred_at in batch:
            visitor = Visitor(user_id=user_id, session_id=session_id)
            context.queue_note(pipe, visitor, KIND_NAMES[kind], product_id, occurred_at.timestamp())
        pipe.execute()
        replayed += len(batch)
    return replayed


def prune_versions() -> int:
    """Keep the active version and the newest ``RECS_KEEP_VERSIONS`` others; delete the rest in chunks."""
    keep = set(
        ModelVersion.objects.exclude(status__in=[ModelVersion.Status.FAILED, ModelVersion.Status.BUILDING])
        .order_by("-id")
        .values_list("id", flat=True)[: settings.RECS_KEEP_VERSIONS]
    )
    keep.update(ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).values_list("id", flat=True))
    newest = ModelVersion.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is not None:
        keep.add(newest)  # possibly still being built
    deleted = 0
    for version_id in ModelVersion.objects.exclude(id__in=keep).values_list("id", flat=True):
        while True:
            ids = list(RecList.objects.filter(version_id=version_id).values_list("id", flat=True)[:DELETE_CHUNK])
            if not ids:
                break
            deleted += RecList.objects.filter(id__in=ids).delete()[0]
        ModelVersion.objects.filter(id=version_id).delete()
    return deleted
