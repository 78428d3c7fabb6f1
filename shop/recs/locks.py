"""PostgreSQL session-level advisory locks for jobs that span many transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


class Busy(Exception):
    """Someone else holds the lock."""


@contextmanager
def advisory_lock(key: int, *, wait: bool) -> Iterator[None]:
    """Hold lock ``key`` for the block; with ``wait=False`` raise ``Busy`` instead of waiting.

    Session-level (not transaction-level) because the guarded work commits in
    batches or writes to Redis; a dead process's lock goes with its connection.
    """
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise Busy(f"advisory lock {key:#x} is held by another process")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
