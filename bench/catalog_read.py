"""Product-detail API throughput and latency with the cache cold, then warm.

Cold: the Redis cache is empty and every request is for a product not yet
asked for, so each one reads PostgreSQL and fills the cache. Warm: the same
products requested again at random, so every read is one Redis GET.

    python bench/catalog_read.py [--products 3000] [--warm-requests 20000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    bench_env,
    emit,
    flush_redis,
    fresh_database,
    load,
    log,
    manage,
    setup_django,
    web_server,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=3000, help="demo products to import and read")
    parser.add_argument("--warm-requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=8, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    env = bench_env(fresh_database("catalog_read"))
    log("migrating and importing the demo catalog")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "import_flipkart", "--limit", str(args.products))
    flush_redis(env)

    setup_django(env)
    from shop.catalog.models import Product

    ids = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    paths = [f"/api/v1/products/{product_id}/" for product_id in ids]
    log(f"{len(paths)} products")

    with web_server(env, workers=args.workers) as port:
        log("cold: every request misses the cache")
        cold = load(port, paths, args.concurrency)
        stats_after_cold = cache_counters()
        log(f"cold: {cold}")

        rng = random.Random(42)
        warm_paths = [rng.choice(paths) for _ in range(args.warm_requests)]
        log("warm: every request hits the cache")
        warm = load(port, warm_paths, args.concurrency)
        stats_after_warm = cache_counters()
        log(f"warm: {warm}")

    warm_hits = stats_after_warm["hit"] - stats_after_cold["hit"]
    warm_misses = stats_after_warm["miss"] - stats_after_cold["miss"]
    emit(
        {
            "products": len(paths),
            "concurrency": args.concurrency,
            "product_detail_rps_cold": round(cold["rps"], 1),
            "product_detail_rps_warm": round(warm["rps"], 1),
            "p50_ms_cold": round(cold["p50_ms"], 2),
            "p99_ms_cold": round(cold["p99_ms"], 2),
            "p50_ms_warm": round(warm["p50_ms"], 2),
            "p99_ms_warm": round(warm["p99_ms"], 2),
            "cache_hit_ratio": round(warm_hits / max(1, warm_hits + warm_misses), 4),
            "cache_hit_ratio_overall": round(
                stats_after_warm["hit"] / max(1, stats_after_warm["hit"] + stats_after_warm["miss"]), 4
            ),
            "errors": int(cold["errors"] + warm["errors"]),
        }
    )


def cache_counters() -> dict[str, int]:
    """The product-detail hit/miss counters the API keeps in Redis."""
    from shop.core.http_cache import cache_stats

    return cache_stats().get("catalog.product", {"hit": 0, "miss": 0})


if __name__ == "__main__":
    main()
