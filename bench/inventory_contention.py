"""Reservations under contention: row locking vs compare-and-swap, hot SKU vs spread SKUs.

Many buyer processes (each with its own PostgreSQL connection) call
``shop.inventory.services.reserve`` at once, released together by a barrier:

- hot: every buyer wants one unit of the same SKU, and there are fewer units
  than requests, so the SKU sells out mid-run;
- spread: each buyer picks one of many SKUs at random (plenty of stock).

Throughput is successful reservations per second (until the last success),
latency is that of successful calls, and ``oversell`` counts units held
beyond stock (it must be 0), checked against the database afterwards.

    python bench/inventory_contention.py [--buyers 24] [--requests 1600] [--spread-skus 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_env, emit, flush_redis, fresh_database, log, manage, percentile, setup_django

HOT_SKU = {"pessimistic": 1, "optimistic": 2}
SPREAD_FIRST_SKU = {"pessimistic": 1_000_000, "optimistic": 2_000_000}  # each strategy gets its own SKUs
SPREAD_STOCK = 1_000_000
PREFIX = {"pessimistic": "lock", "optimistic": "cas"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=24, help="concurrent buyer processes")
    parser.add_argument("--requests", type=int, default=1600, help="reservations attempted per scenario")
    parser.add_argument("--hot-stock", type=int, default=None, help="units of the hot SKU (default 3/4 of requests)")
    parser.add_argument("--spread-skus", type=int, default=1000)
    args = parser.parse_args()
    hot_stock = args.hot_stock if args.hot_stock is not None else args.requests * 3 // 4

    env = bench_env(fresh_database("inventory_contention"))
    log("migrating")
    manage(env, "migrate", "--noinput", "-v", "0")
    flush_redis(env)
    setup_django(env)
    spread_skus = {
        strategy: list(range(first, first + args.spread_skus)) for strategy, first in SPREAD_FIRST_SKU.items()
    }
    warehouses = stock_up(hot_stock, [sku_id for skus in spread_skus.values() for sku_id in skus])

    figures: dict[str, Any] = {"buyers": args.buyers, "requests": args.requests, "hot_stock": hot_stock}
    oversell = 0
    for strategy in ("pessimistic", "optimistic"):
        prefix = PREFIX[strategy]
        for scenario in ("hot", "spread"):
            skus = [HOT_SKU[strategy]] if scenario == "hot" else spread_skus[strategy]
            log(f"{strategy}, {scenario}: {args.buyers} buyers, {args.requests} reservations")
            results = run_buyers(strategy, f"{prefix}-{scenario}", skus, args.buyers, args.requests)
            stats = summarise(results)
            held = units_held(skus)
            stock = hot_stock if scenario == "hot" else SPREAD_STOCK * len(warehouses) * len(skus)
            over = max(0, held - stock) + abs(held - stats["units"])  # beyond stock, or unaccounted for
            oversell += over
            log(f"  {stats}, held in the database: {held}, oversell: {over}")
            figures.update(
                {
                    f"{prefix}_{scenario}_rps": round(stats["rps"], 1),
                    f"{prefix}_{scenario}_p50_ms": round(stats["p50_ms"], 2),
                    f"{prefix}_{scenario}_p99_ms": round(stats["p99_ms"], 2),
                    f"{prefix}_{scenario}_reserved": stats["ok"],
                    f"{prefix}_{scenario}_gave_up": stats["contention"],
                    f"{prefix}_{scenario}_wall_s": round(stats["wall_s"], 2),
                }
            )
    figures["oversell"] = oversell
    figures["negative_or_over_reserved_rows"] = bad_rows()
    flush_redis(env)
    emit(figures)


def stock_up(hot_stock: int, spread_skus: list[int]) -> list[int]:
    """Warehouses and stock rows written directly: a fixture, not a flow under test
    (and no outbox relay kicked from this process before it forks the buyers)."""
    from django.db import connections
    from django.utils import timezone

    from shop.inventory.models import StockLevel, Warehouse

    north = Warehouse.objects.create(code="N1", name="North", zone="north", priority=1)
    south = Warehouse.objects.create(code="S1", name="South", zone="south", priority=2)
    now = timezone.now()
    rows = [
        StockLevel(sku_id=sku_id, warehouse=north, on_hand=hot_stock, updated_at=now) for sku_id in HOT_SKU.values()
    ]
    rows += [
        StockLevel(sku_id=sku_id, warehouse=warehouse, on_hand=SPREAD_STOCK, updated_at=now)
        for sku_id in spread_skus
        for warehouse in (north, south)
    ]
    StockLevel.objects.bulk_create(rows, batch_size=2000)
    connections.close_all()
    return [north.id, south.id]


def run_buyers(strategy: str, label: str, skus: list[int], buyers: int, requests: int) -> list[tuple]:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(buyers)
    queue = context.Queue()
    shares = [requests // buyers + (1 if i < requests % buyers else 0) for i in range(buyers)]
    processes = [
        context.Process(target=buyer, args=(strategy, label, index, shares[index], skus, barrier, queue))
        for index in range(buyers)
    ]
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get(timeout=600)]
    for process in processes:
        process.join(60)
    return results


def buyer(strategy: str, label: str, index: int, count: int, skus: list[int], barrier: Any, queue: Any) -> None:
    """One buyer process: ``count`` single-unit reservations, timed."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection

    from shop.inventory import services

    settings.INVENTORY_LOCKING = strategy
    rng = random.Random(f"{label}-{index}")
    connection.ensure_connection()
    barrier.wait()
    results = []
    for n in range(count):
        sku_id = skus[0] if len(skus) == 1 else rng.choice(skus)
        started = time.perf_counter()
        result = services.reserve(f"{label}-{index}-{n}", [services.Line(sku_id, 1)], timedelta(minutes=30))
        results.append((started, time.perf_counter(), result.ok, result.error))
    connection.close()
    queue.put(results)


def summarise(results: list[tuple]) -> dict[str, Any]:
    start = min(started for started, *_ in results)
    successes = [(started, ended) for started, ended, ok, _error in results if ok]
    last = max((ended for _s, ended in successes), default=start)
    latencies = sorted((ended - started) * 1000 for started, ended in successes)
    return {
        "ok": len(successes),
        "units": len(successes),
        "rejected": sum(1 for *_, ok, error in results if not ok and error == "insufficient_stock"),
        "contention": sum(1 for *_, error in results if error == "contention"),
        "rps": len(successes) / max(last - start, 1e-9),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else 0.0,
        "wall_s": max(ended for _s, ended, *_ in results) - start,
    }


def units_held(skus: list[int]) -> int:
    from django.db import connections
    from django.db.models import Sum

    from shop.inventory.models import StockLevel

    held = StockLevel.objects.filter(sku_id__in=skus).aggregate(total=Sum("reserved"))["total"] or 0
    connections.close_all()
    return held


def bad_rows() -> int:
    from django.db import connections
    from django.db.models import F, Q

    from shop.inventory.models import StockLevel

    count = StockLevel.objects.filter(Q(on_hand__lt=0) | Q(reserved__lt=0) | Q(reserved__gt=F("on_hand"))).count()
    connections.close_all()
    return count


if __name__ == "__main__":
    main()
