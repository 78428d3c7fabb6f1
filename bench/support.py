"""Shared plumbing for benchmarks: a fresh database, a real server, a load generator.

Every benchmark runs against the configured PostgreSQL and Redis servers
(``DATABASE_URL``/``REDIS_URL``) but on its own fresh database
(``<name>_bench_<benchmark>``) and its own Redis database (``BENCH_REDIS_DB``,
default 13), so it never touches a running store's data.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shop"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_database(benchmark: str) -> str:
    """Drop and create ``<db>_bench_<benchmark>``; return its URL."""
    base = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    name = f"{base.path.lstrip('/') or 'shop'}_bench_{benchmark}"
    admin_url = urlunsplit(base._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(base._replace(path=f"/{name}"))


def bench_redis_url() -> str:
    base = urlsplit(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    return urlunsplit(base._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '13')}"))


def bench_env(database_url: str, **extra: str) -> dict[str, str]:
    """A production-like environment (DEBUG off) for the benchmark's processes."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": bench_redis_url(),
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with the benchmark's environment."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def flush_redis(env: dict[str, str]) -> None:
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(env: dict[str, str], workers: int = 2, threads: int = 8) -> Iterator[int]:
    """gunicorn serving the project on a free port until the block exits."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shop.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not come up")
        yield port
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def celery_worker(env: dict[str, str], concurrency: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shop",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)
        yield process
    finally:
        process.terminate()
        process.wait(30)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _client(args: tuple[int, Sequence[str]]) -> list[tuple[float, int]]:
    """One client process: its share of requests over one keep-alive connection."""
    port, paths = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    for path in paths:
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        results.append((time.perf_counter() - started, status))
    conn.close()
    return results


def load(port: int, paths: Sequence[str], concurrency: int) -> dict[str, float]:
    """Send ``paths`` from ``concurrency`` client processes; throughput and latency."""
    shares = [list(paths[i::concurrency]) for i in range(concurrency)]
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        started = time.perf_counter()
        results = [item for share in pool.map(_client, [(port, share) for share in shares]) for item in share]
        elapsed = time.perf_counter() - started
    latencies = sorted(latency * 1000 for latency, _ in results)
    errors = sum(1 for _, status in results if status != 200)
    return {
        "requests": len(results),
        "errors": errors,
        "rps": len(results) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else 0.0,
    }


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def emit(figures: dict[str, object]) -> None:
    """The benchmark's result: one JSON object, always the last line of stdout."""
    print(json.dumps(figures, sort_keys=True), flush=True)
