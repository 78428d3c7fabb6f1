"""A stand-in for ``shop.inventory.services`` until the inventory domain is merged.

TEMPORARY: delete this file when ``shop.inventory`` lands and point
``shop.orders.stock`` at ``shop.inventory.services`` (one import). It offers the
subset of inventory's published interface the order lifecycle uses, with the same
names and result shapes (``reserve``/``commit``/``release`` on hold references,
staff ``receive``, ``stock_of``), plus ``restock``, the call orders needs inventory
to add (see docs/orders.md, "Stock").

State lives in Redis (the store's cache database), so development and the worker
tests behave like the real service across processes. It is not transactional with
Postgres, which the real service is; nothing here is meant for production.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from shop.core.redis import get_redis

HELD, COMMITTED, RELEASED, REJECTED = "held", "committed", "released", "rejected"
PREFIX = "inventory-standin"


class InventoryError(Exception):
    code = "inventory_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequest(InventoryError):
    code = "invalid"


class ReferenceConflict(InventoryError):
    code = "reference_conflict"


@dataclass(frozen=True)
class Line:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class HeldLine:
    sku_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class HoldResult:
    reference: str
    ok: bool
    status: str
    error: str = ""
    message: str = ""
    lines: tuple[HeldLine, ...] = ()


@dataclass(frozen=True)
class RestockLine:
    sku_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class RestockResult:
    reference: str
    lines: tuple[RestockLine, ...]
    created: bool  # False when the reference had restocked already (nothing changed now)


@dataclass(frozen=True)
class SkuStock:
    sku_id: int
    on_hand: int
    reserved: int
    available: int


def _key(*parts: object) -> str:
    return ":".join([PREFIX, *map(str, parts)])


def _lock():  # noqa: ANN202 (redis lock)
    return get_redis().lock(_key("lock"), timeout=10, blocking_timeout=10)


def receive(sku_id: int, warehouse_id: int, quantity: int, *, reason: str, reference: str = "") -> None:
    if quantity <= 0 or not reason:
        raise InvalidRequest("A receipt is a positive quantity with a reason.")
    get_redis().hincrby(_key("on_hand", sku_id), str(warehouse_id), quantity)


def reserve(reference: str, lines: Iterable[Line], ttl: object = None, *, prefer_zone: str = "") -> HoldResult:
    """Hold each line in the first warehouse (lowest id) that has all of it available."""
    redis = get_redis()
    with _lock():
        stored = redis.get(_key("hold", reference))
        if stored is not None:
            hold = json.loads(stored)
            return HoldResult(reference, hold["status"] == HELD, hold["status"], lines=_held(hold["lines"]))
        held: list[HeldLine] = []
        for line in lines:
            on_hand = redis.hgetall(_key("on_hand", line.sku_id))
            reserved = redis.hgetall(_key("reserved", line.sku_id))
            for warehouse in sorted(int(w) for w in on_hand):
                free = int(on_hand[str(warehouse).encode()]) - int(reserved.get(str(warehouse).encode(), 0))
                if free >= line.quantity:
                    held.append(HeldLine(line.sku_id, warehouse, line.quantity))
                    break
            else:
                return HoldResult(reference, False, REJECTED, "insufficient_stock", f"Not enough of SKU {line.sku_id}.")
        for line in held:
            redis.hincrby(_key("reserved", line.sku_id), str(line.warehouse_id), line.quantity)
        redis.set(_key("hold", reference), json.dumps({"status": HELD, "lines": [_raw(x) for x in held]}))
    return HoldResult(reference, True, HELD, lines=tuple(held))


def commit(reference: str) -> HoldResult:
    """The hold becomes a sale: its units leave on hand and reserved."""
    return _close(reference, COMMITTED, on_hand_too=True)


def release(reference: str) -> HoldResult:
    """The held units become available again; ok for a reference never held (nothing to do)."""
    return _close(reference, RELEASED, on_hand_too=False)


def _close(reference: str, status: str, *, on_hand_too: bool) -> HoldResult:
    redis = get_redis()
    with _lock():
        stored = redis.get(_key("hold", reference))
        if stored is None:
            return HoldResult(reference, status == RELEASED, "not_found", "" if status == RELEASED else "not_found")
        hold = json.loads(stored)
        lines = _held(hold["lines"])
        if hold["status"] != HELD:
            ok = hold["status"] == status
            return HoldResult(reference, ok, hold["status"], "" if ok else hold["status"], lines=lines)
        for line in lines:
            redis.hincrby(_key("reserved", line.sku_id), str(line.warehouse_id), -line.quantity)
            if on_hand_too:
                redis.hincrby(_key("on_hand", line.sku_id), str(line.warehouse_id), -line.quantity)
        redis.set(_key("hold", reference), json.dumps({"status": status, "lines": hold["lines"]}))
    return HoldResult(reference, True, status, lines=lines)


def restock(reference: str, lines: Iterable[RestockLine], reason: str) -> RestockResult:
    """Sold units come back on hand (a cancelled or returned order); once per reference."""
    lines = tuple(lines)
    if not reason or not lines or any(line.quantity <= 0 for line in lines):
        raise InvalidRequest("A restock is one or more positive lines with a reason.")
    redis = get_redis()
    with _lock():
        stored = redis.get(_key("restock", reference))
        if stored is not None:
            if sorted(json.loads(stored)) != sorted(_raw(x) for x in lines):
                raise ReferenceConflict(f"Restock {reference} was made with other lines.")
            return RestockResult(reference, lines, created=False)
        for line in lines:
            redis.hincrby(_key("on_hand", line.sku_id), str(line.warehouse_id), line.quantity)
        redis.set(_key("restock", reference), json.dumps([_raw(x) for x in lines]))
    return RestockResult(reference, lines, created=True)


def stock_of(sku_ids: Iterable[int]) -> dict[int, SkuStock]:
    redis = get_redis()
    result = {}
    for sku_id in sorted(set(sku_ids)):
        on_hand = sum(int(v) for v in redis.hgetall(_key("on_hand", sku_id)).values())
        reserved = sum(int(v) for v in redis.hgetall(_key("reserved", sku_id)).values())
        result[sku_id] = SkuStock(sku_id, on_hand, reserved, on_hand - reserved)
    return result


def _raw(line: HeldLine | RestockLine) -> list[int]:
    return [line.sku_id, line.warehouse_id, line.quantity]


def _held(raw: list[list[int]]) -> tuple[HeldLine, ...]:
    return tuple(HeldLine(*x) for x in raw)
