"""Holds: reserve, commit, release and expiry, under either locking strategy.

Both strategies touch stock rows in one fixed order, ``(sku_id,
warehouse_id)``, so two checkouts for the same SKUs in opposite order cannot
deadlock, and every transaction is a handful of statements.

- ``pessimistic``: ``SELECT ... FOR UPDATE`` on the candidate rows (sorted),
  decide the allocation on what is locked, update, insert the hold, commit.
- ``optimistic``: read without locks, decide, then update each chosen row
  only if its ``version`` is still the one read (compare-and-swap); if any
  row moved meanwhile, roll back and retry after a jittered backoff.

Commit, release and expiry are decrements with ``F()`` expressions under the
hold's row lock; they need no strategy because they decide nothing from a
stock read.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shop.core.events import publish, publish_many
from shop.inventory.allocation import allocate, shortages
from shop.inventory.events import StockCommitted, StockReleased, StockReserved
from shop.inventory.models import Hold, HoldLine, LedgerEntry, StockLevel
from shop.inventory.types import (
    COMMITTED,
    EXPIRED,
    HELD,
    NOT_FOUND,
    REJECTED,
    RELEASED,
    HeldLine,
    HoldResult,
    InvalidRequest,
    Line,
    ReferenceConflict,
    Shortage,
)

PESSIMISTIC = "pessimistic"
OPTIMISTIC = "optimistic"
MAX_REFERENCE_LENGTH = 100
MAX_LINES = 200
MAX_QUANTITY = 100_000
CAS_BACKOFF_BASE = 0.002  # seconds; doubled per attempt, full jitter
CAS_BACKOFF_CAP = 0.1
EXPIRY_BATCH = 100

_MESSAGES = {
    EXPIRED: "The hold expired before it was committed.",
    RELEASED: "The hold was released.",
    COMMITTED: "The hold was already committed.",
    HELD: "The hold is still open.",
}


class _StaleRead(Exception):
    """A compare-and-swap found a row changed since it was read."""


def reserve(
    reference: str, lines: Iterable[Line], ttl: timedelta | None = None, *, prefer_zone: str = ""
) -> HoldResult:
    reference = check_reference(reference)
    requested = requested_quantities(lines)
    expires_in = _check_ttl(ttl)
    replay = _replay(reference, requested)
    if replay is not None:
        return replay
    strategy = settings.INVENTORY_LOCKING
    if strategy not in (PESSIMISTIC, OPTIMISTIC):
        raise ImproperlyConfigured(f"INVENTORY_LOCKING must be {PESSIMISTIC!r} or {OPTIMISTIC!r}, not {strategy!r}")
    attempt = _reserve_optimistic if strategy == OPTIMISTIC else _reserve_locked
    try:
        return attempt(reference, requested, expires_in, prefer_zone)
    except IntegrityError:
        # A concurrent call with the same reference inserted the hold first.
        replay = _replay(reference, requested)
        if replay is None:
            raise
        return replay


def commit(reference: str) -> HoldResult:
    reference = check_reference(reference)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(reference=reference).first()
        if hold is None:
            return _not_found(reference, ok=False)
        lines = list(hold.lines.all())
        if hold.status == HELD:
            if hold.expires_at <= timezone.now():
                _give_back([(hold, lines)], EXPIRED)
            else:
                _sell(hold, lines)
        return _result(hold, lines, ok_statuses={COMMITTED})


def release(reference: str) -> HoldResult:
    reference = check_reference(reference)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(reference=reference).first()
        if hold is None:
            return _not_found(reference, ok=True)  # nothing is held under it, which is what release asks for
        lines = list(hold.lines.all())
        if hold.status == HELD:
            _give_back([(hold, lines)], RELEASED)
        return _result(hold, lines, ok_statuses={RELEASED, EXPIRED})


def hold_status(reference: str) -> HoldResult:
    reference = check_reference(reference)
    hold = Hold.objects.filter(reference=reference).first()
    if hold is None:
        return _not_found(reference, ok=False)
    return _result(hold, list(hold.lines.all()), ok_statuses={HELD, COMMITTED, RELEASED, EXPIRED})


def release_expired(batch: int = EXPIRY_BATCH) -> int:
    """Release every hold past its expiry, a batch per transaction; how many.

    ``SKIP LOCKED`` lets several sweepers (or a commit racing the sweeper)
    work side by side without waiting on each other's holds.
    """
    released = 0
    while True:
        with transaction.atomic():
            holds = list(
                Hold.objects.select_for_update(skip_locked=True)
                .filter(status=HELD, expires_at__lte=timezone.now())
                .order_by("expires_at")[:batch]
            )
            if not holds:
                return released
            lines: dict[int, list[HoldLine]] = defaultdict(list)
            for line in HoldLine.objects.filter(hold__in=holds):
                lines[line.hold_id].append(line)
            _give_back([(hold, lines[hold.id]) for hold in holds], EXPIRED)
        released += len(holds)
        if len(holds) < batch:
            return released


def prune_closed(older_than: timedelta, chunk: int = 5000) -> int:
    """Delete holds closed longer ago than ``older_than`` (their lines go with
    them), in bounded chunks; the ledger keeps what was sold."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        ids = list(Hold.objects.filter(closed_at__lt=cutoff).values_list("id", flat=True)[:chunk])
        if not ids:
            return deleted
        Hold.objects.filter(id__in=ids).delete()
        deleted += len(ids)


# --- validation --------------------------------------------------------------------------------


def check_reference(reference: str) -> str:
    if not isinstance(reference, str) or not reference.strip():
        raise InvalidRequest("A hold needs a reference (the idempotency key of the request).")
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidRequest(f"A reference has at most {MAX_REFERENCE_LENGTH} characters.")
    return reference


def requested_quantities(lines: Iterable[Line]) -> dict[int, int]:
    """Quantity per SKU (repeated SKUs add up), validated."""
    requested: dict[int, int] = {}
    for line in lines:
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_QUANTITY:
            raise InvalidRequest(f"Quantity for SKU {line.sku_id} must be a whole number from 1 to {MAX_QUANTITY}.")
        if isinstance(line.sku_id, bool) or not isinstance(line.sku_id, int) or line.sku_id <= 0:
            raise InvalidRequest(f"{line.sku_id!r} is not a SKU id.")
        requested[line.sku_id] = requested.get(line.sku_id, 0) + quantity
    if not requested:
        raise InvalidRequest("Nothing to reserve: no lines.")
    if len(requested) > MAX_LINES:
        raise InvalidRequest(f"At most {MAX_LINES} SKUs per hold.")
    return dict(sorted(requested.items()))


def _check_ttl(ttl: timedelta | None) -> timedelta:
    if ttl is None:
        return timedelta(seconds=settings.INVENTORY_HOLD_TTL_SECONDS)
    if not isinstance(ttl, timedelta):
        raise InvalidRequest("ttl must be a timedelta.")
    if not timedelta(0) < ttl <= timedelta(seconds=settings.INVENTORY_MAX_HOLD_TTL_SECONDS):
        raise InvalidRequest(f"ttl must be positive and at most {settings.INVENTORY_MAX_HOLD_TTL_SECONDS} seconds.")
    return ttl


# --- reserve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """The candidate stock rows of a request, read in lock order."""

    available: dict[tuple[int, int], int]
    versions: dict[tuple[int, int], int]
    warehouse_order: list[int]  # most preferred first: the shopper's zone, then priority, then id


def _read(requested: dict[int, int], prefer_zone: str, *, lock: bool) -> _Snapshot:
    """One query: the rows of the requested SKUs in active warehouses, with
    what the allocation policy needs to rank their warehouses."""
    queryset = (
        StockLevel.objects.filter(sku_id__in=list(requested), warehouse__is_active=True)
        .order_by("sku_id", "warehouse_id")
        .values_list(
            "sku_id", "warehouse_id", "on_hand", "reserved", "version", "warehouse__zone", "warehouse__priority"
        )
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))  # the stock rows, not the warehouses
    rows = list(queryset)
    ranks = {row[1]: (bool(prefer_zone) and row[5] != prefer_zone, row[6], row[1]) for row in rows}
    return _Snapshot(
        available={(row[0], row[1]): row[2] - row[3] for row in rows},
        versions={(row[0], row[1]): row[4] for row in rows},
        warehouse_order=sorted(ranks, key=ranks.__getitem__),
    )


def _reserve_locked(reference: str, requested: dict[int, int], expires_in: timedelta, prefer_zone: str) -> HoldResult:
    with transaction.atomic():
        snapshot = _read(requested, prefer_zone, lock=True)
        short = shortages(requested, snapshot.available)
        if short:
            return _rejected(reference, requested, short)
        plan = allocate(requested, snapshot.available, snapshot.warehouse_order)
        now = timezone.now()
        for sku_id, warehouse_id, quantity in plan:
            StockLevel.objects.filter(sku_id=sku_id, warehouse_id=warehouse_id).update(
                reserved=F("reserved") + quantity, version=F("version") + 1, updated_at=now
            )
        return _open_hold(reference, plan, now + expires_in)


def _reserve_optimistic(
    reference: str, requested: dict[int, int], expires_in: timedelta, prefer_zone: str
) -> HoldResult:
    for attempt in range(settings.INVENTORY_CAS_MAX_ATTEMPTS):
        snapshot = _read(requested, prefer_zone, lock=False)
        short = shortages(requested, snapshot.available)
        if short:
            return _rejected(reference, requested, short)
        plan = allocate(requested, snapshot.available, snapshot.warehouse_order)
        versions = snapshot.versions
        try:
            with transaction.atomic():
                now = timezone.now()
                for sku_id, warehouse_id, quantity in plan:
                    swapped = StockLevel.objects.filter(
                        sku_id=sku_id, warehouse_id=warehouse_id, version=versions[(sku_id, warehouse_id)]
                    ).update(reserved=F("reserved") + quantity, version=F("version") + 1, updated_at=now)
                    if not swapped:
                        raise _StaleRead
                return _open_hold(reference, plan, now + expires_in)
        except _StaleRead:
            time.sleep(random.uniform(0, min(CAS_BACKOFF_CAP, CAS_BACKOFF_BASE * 2**attempt)))
    return HoldResult(
        reference=reference,
        ok=False,
        status=REJECTED,
        error="contention",
        message="Stock for these items is changing too fast; please retry.",
    )


def _open_hold(reference: str, plan: list[tuple[int, int, int]], expires_at: datetime) -> HoldResult:
    hold = Hold.objects.create(reference=reference, expires_at=expires_at)
    HoldLine.objects.bulk_create(
        HoldLine(hold=hold, sku_id=sku_id, warehouse_id=warehouse_id, quantity=quantity)
        for sku_id, warehouse_id, quantity in plan
    )
    lines = tuple(HeldLine(sku_id, warehouse_id, quantity) for sku_id, warehouse_id, quantity in plan)
    publish(
        StockReserved(
            reference=reference,
            sku_ids=sorted({line.sku_id for line in lines}),
            lines=[asdict(line) for line in lines],
            expires_at=expires_at,
        )
    )
    return HoldResult(reference=reference, ok=True, status=HELD, lines=lines, expires_at=expires_at)


def _rejected(reference: str, requested: dict[int, int], short: dict[int, int]) -> HoldResult:
    shortfalls = tuple(Shortage(sku_id, requested[sku_id], available) for sku_id, available in sorted(short.items()))
    names = ", ".join(f"SKU {s.sku_id} ({s.available} of {s.requested} available)" for s in shortfalls)
    return HoldResult(
        reference=reference,
        ok=False,
        status=REJECTED,
        error="insufficient_stock",
        message=f"Not enough stock: {names}.",
        shortages=shortfalls,
    )


def _replay(reference: str, requested: dict[int, int]) -> HoldResult | None:
    """The stored outcome of an earlier reserve with this reference, if any."""
    hold = Hold.objects.filter(reference=reference).first()
    if hold is None:
        return None
    lines = list(hold.lines.all())
    held: dict[int, int] = {}
    for line in lines:
        held[line.sku_id] = held.get(line.sku_id, 0) + line.quantity
    if held != requested:
        raise ReferenceConflict(f"Reference {reference!r} already holds different lines.")
    return _result(hold, lines, ok_statuses={HELD})


# --- commit, release, expiry -------------------------------------------------------------------


def _sell(hold: Hold, lines: list[HoldLine]) -> None:
    now = timezone.now()
    for line in sorted(lines, key=lambda item: (item.sku_id, item.warehouse_id)):
        StockLevel.objects.filter(sku_id=line.sku_id, warehouse_id=line.warehouse_id).update(
            on_hand=F("on_hand") - line.quantity,
            reserved=F("reserved") - line.quantity,
            version=F("version") + 1,
            updated_at=now,
        )
    after = _on_hand(lines)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            sku_id=line.sku_id,
            warehouse_id=line.warehouse_id,
            kind=LedgerEntry.Kind.SALE,
            delta=-line.quantity,
            on_hand_after=after[(line.sku_id, line.warehouse_id)],
            reason="sale",
            reference=hold.reference,
        )
        for line in lines
    )
    hold.status, hold.closed_at = COMMITTED, now
    hold.save(update_fields=["status", "closed_at"])
    publish(
        StockCommitted(
            reference=hold.reference, sku_ids=sorted({line.sku_id for line in lines}), lines=_line_dicts(lines)
        )
    )


def _on_hand(lines: list[HoldLine]) -> dict[tuple[int, int], int]:
    keys = Q()
    for line in lines:
        keys |= Q(sku_id=line.sku_id, warehouse_id=line.warehouse_id)
    rows = StockLevel.objects.filter(keys).values_list("sku_id", "warehouse_id", "on_hand")
    return {(sku_id, warehouse_id): on_hand for sku_id, warehouse_id, on_hand in rows}


def _give_back(holds: list[tuple[Hold, list[HoldLine]]], status: str) -> None:
    """Return the units of open holds to availability and close them.

    The rows of every hold are updated together in (sku, warehouse) order,
    so a batch of expiries keeps the same lock order as a reservation.
    """
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for _hold, lines in holds:
        for line in lines:
            totals[(line.sku_id, line.warehouse_id)] += line.quantity
    now = timezone.now()
    for (sku_id, warehouse_id), quantity in sorted(totals.items()):
        StockLevel.objects.filter(sku_id=sku_id, warehouse_id=warehouse_id).update(
            reserved=F("reserved") - quantity, version=F("version") + 1, updated_at=now
        )
    Hold.objects.filter(id__in=[hold.id for hold, _lines in holds]).update(status=status, closed_at=now)
    for hold, _lines in holds:
        hold.status, hold.closed_at = status, now
    publish_many(
        [
            StockReleased(
                reference=hold.reference,
                sku_ids=sorted({line.sku_id for line in lines}),
                lines=_line_dicts(lines),
                reason=status,
            )
            for hold, lines in holds
        ]
    )


def _line_dicts(lines: list[HoldLine]) -> list[dict[str, int]]:
    return [{"sku_id": line.sku_id, "warehouse_id": line.warehouse_id, "quantity": line.quantity} for line in lines]


def effective_status(hold: Hold) -> str:
    """The hold's status, with a held one past its expiry counted as expired (not swept yet, but it is over)."""
    if hold.status == HELD and hold.expires_at <= timezone.now():
        return EXPIRED
    return hold.status


def _result(hold: Hold, lines: list[HoldLine], *, ok_statuses: set[str]) -> HoldResult:
    status = effective_status(hold)
    ok = status in ok_statuses
    return HoldResult(
        reference=hold.reference,
        ok=ok,
        status=status,
        error="" if ok else status,
        message="" if ok else _MESSAGES[status],
        lines=tuple(HeldLine(line.sku_id, line.warehouse_id, line.quantity) for line in lines),
        expires_at=hold.expires_at,
    )


def _not_found(reference: str, *, ok: bool) -> HoldResult:
    return HoldResult(
        reference=reference,
        ok=ok,
        status=NOT_FOUND,
        error="" if ok else NOT_FOUND,
        message="" if ok else f"No hold with reference {reference!r}.",
    )
