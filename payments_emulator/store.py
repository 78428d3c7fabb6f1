"""The emulator's state in one SQLite file: Stripe objects as JSON, idempotency records, webhooks.

Every request runs in one ``BEGIN IMMEDIATE`` transaction under a process-wide lock, so
requests are serialised: two requests with the same idempotency key can never both
execute, and a crash mid-request leaves nothing half-written. The emulator is a development
and test stand-in; a few hundred requests a second through one lock is plenty.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from payments_emulator.errors import missing

_ALPHABET = string.ascii_letters + string.digits

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_type_created ON objects (type, created);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    params TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    delivered_at REAL,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE delivered_at IS NULL;
"""


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """One request's worth of reads and writes, all or nothing."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Part of a transaction that an error undoes alone (a handler's writes, not the request's)."""
        self._db.execute("SAVEPOINT handler")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO handler")
            self._db.execute("RELEASE handler")
            raise
        self._db.execute("RELEASE handler")

    # --- Stripe objects ----------------------------------------------------------------------

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._db.execute(
            "INSERT INTO objects (id, type, created, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (obj["id"], obj["object"], obj.get("_created_at", time.time()), json.dumps(obj)),
        )
        return obj

    def find(self, object_id: str, object_type: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT data FROM objects WHERE id = ? AND type = ?", (object_id, object_type)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get(self, object_id: str, object_type: str, param: str = "id") -> dict[str, Any]:
        obj = self.find(object_id, object_type)
        if obj is None:
            raise missing(object_type, object_id, param)
        return obj

    def page(
        self, object_type: str, limit: int, starting_after: str | None, where: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first, Stripe's cursor pagination; ``where`` maps JSON paths (``status``,
        ``metadata."reference"``) to the values they must have."""
        sql = "SELECT data FROM objects WHERE type = ?"
        args: list[Any] = [object_type]
        if starting_after:
            cursor = self._db.execute("SELECT created, id FROM objects WHERE id = ?", (starting_after,)).fetchone()
            if cursor is None:
                raise missing(object_type, starting_after, "starting_after")
            sql += " AND (created < ? OR (created = ? AND id < ?))"
            args += [cursor[0], cursor[0], cursor[1]]
        for field, value in (where or {}).items():
            sql += " AND json_extract(data, ?) = ?"
            args += [f"$.{field}", value]
        sql += " ORDER BY created DESC, id DESC LIMIT ?"
        args.append(limit + 1)
        rows = [json.loads(row[0]) for row in self._db.execute(sql, args)]
        return rows[:limit], len(rows) > limit

    def of_type(self, object_type: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM objects WHERE type = ? ORDER BY created, id", (object_type,))
        return [json.loads(row[0]) for row in rows]

    # --- Idempotency -------------------------------------------------------------------------

    def idempotent_result(self, api_key: str, key: str, ttl: float) -> dict[str, Any] | None:
        self._db.execute("DELETE FROM idempotency WHERE created < ?", (time.time() - ttl,))
        row = self._db.execute(
            "SELECT method, path, params, status, body, request_id FROM idempotency WHERE api_key = ? AND key = ?",
            (api_key, key),
        ).fetchone()
        if row is None:
            return None
        method, path, params, status, body, request_id = row
        return {
            "method": method,
            "path": path,
            "params": params,
            "status": status,
            "body": body,
            "request_id": request_id,
        }

    def save_idempotent_result(
        self, api_key: str, key: str, method: str, path: str, params: str, status: int, body: str, request_id: str
    ) -> None:
        self._db.execute(
            "INSERT INTO idempotency (api_key, key, method, path, params, status, body, request_id, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (api_key, key, method, path, params, status, body, request_id, time.time()),
        )

    # --- Webhook deliveries ------------------------------------------------------------------

    def queue_delivery(self, event_id: str, endpoint_id: str) -> None:
        self._db.execute(
            "INSERT INTO deliveries (event_id, endpoint_id, next_attempt_at) VALUES (?, ?, ?)",
            (event_id, endpoint_id, time.time()),
        )

    def due_deliveries(self, limit: int = 20) -> list[tuple[int, str, str, int]]:
        rows = self._db.execute(
            "SELECT id, event_id, endpoint_id, attempts FROM deliveries "
            "WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (time.time(), limit),
        )
        return list(rows)

    def record_attempt(
        self, delivery_id: int, *, delivered: bool, status: int | None, error: str, retry_at: float | None
    ) -> None:
        if delivered:
            self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, delivered_at = ?, last_status = ?, last_error = '' "
                "WHERE id = ?",
                (time.time(), status, delivery_id),
            )
        elif retry_at is None:  # gave up
            self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, delivered_at = -1, last_status = ?, last_error = ? "
                "WHERE id = ?",
                (status, error, delivery_id),
            )
        else:
            self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ? "
                "WHERE id = ?",
                (retry_at, status, error, delivery_id),
            )

    def pending_deliveries(self, event_id: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE event_id = ? AND delivered_at IS NULL", (event_id,)
        ).fetchone()
        return int(row[0])
