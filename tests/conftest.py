"""Fixtures shared by the whole suite: clean Redis, a real Celery worker process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from shop.celery import app as celery_app
from shop.core.redis import get_redis

pytest_plugins = ["tests.fixtures_payments", "tests.fixtures_lifecycle", "tests.fixtures_browser"]

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", ROOT / "test-output"))


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Every test starts with an empty cache database (the broker's is separate)."""
    get_redis().flushdb()


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


class WorkerProcess:
    """A real ``celery worker`` process on the test database and the test broker."""

    def __init__(self, database_name: str, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.database_name = database_name
        self.log_path = log_path
        self.extra_env = dict(extra_env or {})  # e.g. a fault to inject, short leases
        self.process: subprocess.Popen[bytes] | None = None
        self.hostname = ""

    def env(self) -> dict[str, str]:
        db = connection.settings_dict
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{auth}@{host}:{port}/{self.database_name}",
            "TEST_REDIS_URL": settings.REDIS_URL,
            "TEST_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DB_CONN_MAX_AGE": "0",
            **self.extra_env,
        }

    def start(self, *extra_args: str) -> None:
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shop",
                "worker",
                "--pool=solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "-n",
                self.hostname,
                *extra_args,
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._ready, timeout=30, interval=0.2, message="the Celery worker to answer a ping")

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"Celery worker exited with {self.process.returncode}; see {self.log_path}")
        replies = celery_app.control.ping(timeout=0.3)
        return any(self.hostname.split("@")[0] in name for reply in replies for name in reply)

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Until the worker runs no task, so the test database can be flushed without
        racing it (a flush under a running task can deadlock). A busy solo worker does
        not answer control messages, so silence counts as busy."""
        if self.process is None or self.process.poll() is not None:
            return
        prefix = self.hostname.split("@")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = celery_app.control.inspect(timeout=0.5).active() or {}
            ours = [tasks for name, tasks in replies.items() if name.startswith(prefix)]
            if ours and not ours[0]:
                return
            time.sleep(0.1)

    def kill(self) -> None:
        """Die like a crashed machine: no cleanup, unacknowledged tasks stay unacknowledged."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def _worker_process(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    worker = WorkerProcess(name, OUTPUT_DIR / "celery-worker.log")
    yield worker
    worker.stop()


@contextlib.contextmanager
def worker_environment(worker: WorkerProcess, env: dict[str, str]) -> Iterator[WorkerProcess]:
    """The session's worker, restarted with ``env`` added to its own (e.g. fast simulators);
    ``celery_worker`` starts it again with it, and later tests get one with the default. Only
    the worker's environment changes, not this process's."""
    default = worker.extra_env
    worker.extra_env = default | env
    worker.stop()
    try:
        yield worker
    finally:
        worker.stop()
        worker.extra_env = default


@pytest.fixture
def celery_worker(_worker_process: WorkerProcess, transactional_db) -> Iterator[WorkerProcess]:
    """A running worker; tasks sent by the test go through the real broker to it.

    Needs committed data, hence ``transactional_db``.
    """
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()  # nothing left over from an earlier test
        if _worker_process.process is None or _worker_process.process.poll() is not None:
            _worker_process.start()
        yield _worker_process
    finally:
        celery_app.control.purge()  # what the test left queued must not run against the next test's data
        _worker_process.wait_idle()
        celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
