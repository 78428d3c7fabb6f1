"""Restocks: sold units come back on hand (a compensated checkout, a cancellation, a return).

``restock`` is idempotent on its own ``reference`` (the restock key), so a saga can
repeat it after a crash. Given ``hold_reference`` it restocks units of that committed
hold only, never more than it sold, remembering per hold line how much came back; so
several partial restocks (a cancelled line, then a return) can never add up to more
than the sale. Without a hold (returns after the hold was pruned) the caller names the
warehouse of each line. Every unit gets a ledger entry and a ``StockAdjusted`` with
``kind="restock"``, which the availability projection already follows.

Locks: the hold row first, then stock rows in ``(sku_id, warehouse_id)`` order, like
commit and release.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.core.events import publish
from shop.inventory.events import StockAdjusted
from shop.inventory.holds import check_reference, effective_status
from shop.inventory.models import Hold, HoldLine, LedgerEntry, Restock, Warehouse
from shop.inventory.stock import ADD_SQL, MAX_MOVEMENT
from shop.inventory.types import (
    COMMITTED,
    NOT_FOUND,
    InvalidRequest,
    ReferenceConflict,
    RestockLine,
    RestockResult,
)

Key = tuple[int, int]  # (sku_id, warehouse_id)


def restock(
    reference: str, lines: Iterable[RestockLine] | None, reason: str, *, hold_reference: str = ""
) -> RestockResult:
    """Put sold units back on hand, once per ``reference``.

    ``lines=None`` with ``hold_reference`` restocks everything the hold sold that has not
    come back yet. A repeat with the same reference returns the first outcome
    (``created=False``); the same reference with other lines raises ``ReferenceConflict``.
    A hold that was never committed gives ``ok=False`` (nothing was sold) and changes nothing.
    """
    reference = check_reference(reference)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why: every stock movement needs a reason.")
    wanted = None if lines is None else _requested(lines)
    if wanted is None and not hold_reference:
        raise InvalidRequest("Name the lines to restock, or the hold whose sold units all come back.")
    try:
        return _restock(reference, wanted, reason[:300], hold_reference)
    except IntegrityError:
        # A concurrent call with the same reference recorded it first: answer as a repeat.
        done = Restock.objects.filter(reference=reference).first()
        if done is None:
            raise
        return _repeat(done, wanted)


def _requested(lines: Iterable[RestockLine]) -> dict[Key, int]:
    wanted: dict[Key, int] = {}
    for line in lines:
        for name in ("sku_id", "warehouse_id"):
            value = getattr(line, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidRequest(f"{name} of a restock line must be an id, not {value!r}.")
        key = (line.sku_id, line.warehouse_id)
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_MOVEMENT:
            raise InvalidRequest(f"A restock line is 1 to {MAX_MOVEMENT} units.")
        wanted[key] = wanted.get(key, 0) + quantity
        if wanted[key] > MAX_MOVEMENT:
            raise InvalidRequest(f"A restock line is 1 to {MAX_MOVEMENT} units.")
    if not wanted:
        raise InvalidRequest("A restock needs at least one line.")
    return dict(sorted(wanted.items()))


def _restock(reference: str, wanted: dict[Key, int] | None, reason: str, hold_reference: str) -> RestockResult:
    with transaction.atomic():
        hold = None
        if hold_reference:
            hold = Hold.objects.select_for_update().filter(reference=check_reference(hold_reference)).first()
        done = Restock.objects.filter(reference=reference).first()
        if done is not None:
            return _repeat(done, wanted)
        hold_lines: dict[Key, HoldLine] = {}
        if hold_reference:
            refusal = _not_sold(reference, hold_reference, hold)
            if refusal is not None:
                return refusal
            hold_lines = {(line.sku_id, line.warehouse_id): line for line in hold.lines.all()}
            wanted = _within_sale(hold_reference, wanted, hold_lines)
        else:
            _check_warehouses(wanted)
        changes = _put_back(reference, wanted, reason)
        for key, quantity in wanted.items():
            if key in hold_lines:
                HoldLine.objects.filter(id=hold_lines[key].id).update(restocked=F("restocked") + quantity)
        restocked = [{"sku_id": sku, "warehouse_id": wh, "quantity": n} for (sku, wh), n in wanted.items()]
        Restock.objects.create(reference=reference, hold=hold, lines=restocked, reason=reason)
        if changes:
            publish(
                StockAdjusted(
                    sku_ids=sorted({change["sku_id"] for change in changes}),
                    changes=changes,
                    kind=LedgerEntry.Kind.RESTOCK,
                    reason=reason,
                    reference=reference,
                )
            )
    return RestockResult(reference=reference, ok=True, created=True, lines=_lines(restocked))


def _not_sold(reference: str, hold_reference: str, hold: Hold | None) -> RestockResult | None:
    """A refusal when the hold sold nothing (never committed), else None."""
    status = NOT_FOUND if hold is None else effective_status(hold)
    if status == COMMITTED:
        return None
    return RestockResult(
        reference=reference,
        ok=False,
        error=status,
        message=f"Hold {hold_reference!r} is {status.replace('_', ' ')}: it sold nothing, so nothing comes back.",
    )


def _within_sale(hold_reference: str, wanted: dict[Key, int] | None, hold_lines: dict[Key, HoldLine]) -> dict[Key, int]:
    remaining = {key: line.quantity - line.restocked for key, line in hold_lines.items()}
    if wanted is None:
        return {key: left for key, left in sorted(remaining.items()) if left > 0}
    for (sku_id, warehouse_id), quantity in wanted.items():
        left = remaining.get((sku_id, warehouse_id), 0)
        if quantity > left:
            raise InvalidRequest(
                f"Hold {hold_reference!r} has {left} unit(s) of SKU {sku_id} from warehouse {warehouse_id} "
                f"left to restock, not {quantity}."
            )
    return wanted


def _check_warehouses(wanted: dict[Key, int]) -> None:
    ids = {warehouse_id for _sku, warehouse_id in wanted}
    known = set(Warehouse.objects.filter(id__in=ids).values_list("id", flat=True))
    if ids - known:
        raise InvalidRequest(f"No warehouse with id {min(ids - known)}.")


def _put_back(reference: str, wanted: dict[Key, int], reason: str) -> list[dict[str, int]]:
    """Add the units to on hand, in lock order, with a ledger entry each; the changes made."""
    now = timezone.now()
    changes = []
    with connection.cursor() as cursor:
        for (sku_id, warehouse_id), quantity in sorted(wanted.items()):
            cursor.execute(ADD_SQL, [sku_id, warehouse_id, quantity, now])
            on_hand = cursor.fetchone()[0]
            changes.append({"sku_id": sku_id, "warehouse_id": warehouse_id, "delta": quantity, "on_hand": on_hand})
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            sku_id=change["sku_id"],
            warehouse_id=change["warehouse_id"],
            kind=LedgerEntry.Kind.RESTOCK,
            delta=change["delta"],
            on_hand_after=change["on_hand"],
            reason=reason,
            reference=reference,
        )
        for change in changes
    )
    return changes


def _repeat(done: Restock, wanted: dict[Key, int] | None) -> RestockResult:
    stored = {(line["sku_id"], line["warehouse_id"]): line["quantity"] for line in done.lines}
    if wanted is not None and wanted != stored:
        raise ReferenceConflict(f"Restock {done.reference!r} was made with other lines.")
    return RestockResult(reference=done.reference, ok=True, created=False, lines=_lines(done.lines))


def _lines(raw: list[dict[str, int]]) -> tuple[RestockLine, ...]:
    return tuple(RestockLine(line["sku_id"], line["warehouse_id"], line["quantity"]) for line in raw)
