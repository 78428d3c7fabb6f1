"""Run a function from many threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


def run_concurrently(count: int, work: Callable[[int], Any], timeout: float = 120) -> list[Any]:
    """Start ``work(i)`` for i in range(count) together (a barrier releases them
    at once); return their results, re-raising the first exception."""
    barrier = threading.Barrier(count)

    def runner(index: int) -> Any:
        try:
            barrier.wait(timeout=30)
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(runner, index) for index in range(count)]
        return [future.result(timeout=timeout) for future in futures]
