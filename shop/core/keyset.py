"""Keyset (seek) pagination: deep pages cost the same as the first.

A cursor encodes the sort key of the row at the page edge; the next page is the
rows strictly after it in the ordering, found through the index instead of an
OFFSET that scans and throws away every earlier row. The ordering must end with
a unique field (``id``) so that ties are broken.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from shop.core.errors import DomainError

T = TypeVar("T", bound=Model)


class InvalidCursor(DomainError, ValueError):
    """A cursor we did not issue (or from another ordering): a 400 naming ``cursor``."""

    code = "invalid_cursor"

    def __init__(self, message: str = "The cursor is not valid; start again from the first page.") -> None:
        super().__init__(message, fields={"cursor": [message]})


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    previous_cursor: str | None


def _encode(values: list[Any], direction: str) -> str:
    def jsonable(value: Any) -> Any:
        if isinstance(value, Decimal):
            return {"d": str(value)}
        if isinstance(value, dt.datetime):
            return {"t": value.isoformat()}
        return value

    raw = json.dumps({"v": [jsonable(v) for v in values], "d": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, width: int) -> tuple[list[Any], str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values, direction = data["v"], data["d"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not valid; start again from the first page.") from None
    if direction not in ("n", "p") or not isinstance(values, list) or len(values) != width:
        raise InvalidCursor("The cursor is not valid; start again from the first page.")

    def restore(value: Any) -> Any:
        if isinstance(value, dict) and "d" in value:
            return Decimal(value["d"])
        if isinstance(value, dict) and "t" in value:
            return dt.datetime.fromisoformat(value["t"])
        if isinstance(value, (dict, list)):
            raise InvalidCursor("The cursor is not valid; start again from the first page.")
        return value

    try:
        return [restore(v) for v in values], direction
    except (ArithmeticError, ValueError):
        raise InvalidCursor("The cursor is not valid; start again from the first page.") from None


def _after(ordering: list[str], values: list[Any], reverse: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (or before, if reverse)."""
    condition = Q(pk__in=[])  # false
    for depth in range(len(ordering) - 1, -1, -1):
        name = ordering[depth].lstrip("-")
        descending = ordering[depth].startswith("-") != reverse
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[depth]})
        for prior in range(depth):
            step &= Q(**{ordering[prior].lstrip("-"): values[prior]})
        condition |= step
    return condition


def paginate(queryset: QuerySet[T], ordering: list[str], cursor: str | None, size: int) -> KeysetPage[T]:
    """One page of ``queryset`` in ``ordering``, starting at ``cursor``."""
    if not ordering or ordering[-1].lstrip("-") not in ("id", "pk"):
        raise ValueError("keyset ordering must end with id")
    direction = "n"
    if cursor:
        values, direction = _decode(cursor, len(ordering))
        queryset = queryset.filter(_after(ordering, values, reverse=direction == "p"))
    reversed_ordering = [f[1:] if f.startswith("-") else f"-{f}" for f in ordering]
    rows = list(queryset.order_by(*(ordering if direction == "n" else reversed_ordering))[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if direction == "p":
        rows.reverse()

    def key(row: T) -> list[Any]:
        return [getattr(row, f.lstrip("-").replace("pk", "id")) for f in ordering]

    next_cursor = previous_cursor = None
    if rows:
        if direction == "n":
            next_cursor = _encode(key(rows[-1]), "n") if has_more else None
            previous_cursor = _encode(key(rows[0]), "p") if cursor else None
        else:
            next_cursor = _encode(key(rows[-1]), "n")
            previous_cursor = _encode(key(rows[0]), "p") if has_more else None
    return KeysetPage(rows, next_cursor, previous_cursor)


P = TypeVar("P")


def page_or_first(load: Callable[[str | None], P], cursor: str | None) -> P:
    """For storefront pages: a bad cursor (an edited or stale link) shows the first page, not an
    error page; the API instead answers 400 ``invalid_cursor``."""
    try:
        return load(cursor or None)
    except InvalidCursor:
        return load(None)


def cursor_cache_part(cursor: str | None) -> str:
    """A cursor as part of a cache key: fixed length and plain hex, whatever a client sent."""
    return hashlib.blake2b(cursor.encode(), digest_size=16).hexdigest() if cursor else "first"
