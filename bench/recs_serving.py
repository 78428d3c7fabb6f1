"""The recommendations end to end on the demo catalog: training job speed, service and API latency.

Imports the Flipkart demo catalog, writes a synthetic interaction log (customers
and guests with tastes for a few categories: views, add-to-carts, purchases),
runs the real training job (``shop.recs.training`` + ``publishing``), then times

- the service lookups in-process (``shop.recs.serving``: what the p99 < 5 ms
  budget is about), with live context for a third of the visitors;
- the REST API under load through gunicorn (adds HTTP, Django and DRF).

    python bench/recs_serving.py [--products 3000] [--customers 3000] [--interactions 300000] [--requests 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
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
    percentile,
    setup_django,
    web_server,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=3000, help="demo products to import")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--guests", type=int, default=3000, help="anonymous sessions")
    parser.add_argument("--interactions", type=int, default=300_000)
    parser.add_argument("--lookups", type=int, default=6000, help="in-process service lookups timed")
    parser.add_argument("--requests", type=int, default=20000, help="API requests under load")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    env = bench_env(fresh_database("recs_serving"))
    log("migrating and importing the demo catalog")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "import_flipkart", "--limit", str(args.products))
    flush_redis(env)
    setup_django(env)

    from shop.recs import publishing, serving, training
    from shop.recs.context import Visitor

    product_ids = write_log(args)
    started = time.perf_counter()
    version = training.train()
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    publishing.activate(version.id)
    publish_s = time.perf_counter() - started
    log(f"trained v{version.id} in {train_s:.1f}s, published in {publish_s:.1f}s: {version.stats}")

    rng = random.Random(11)
    visitors = [Visitor(user_id=rng.randint(1, args.customers)) for _ in range(args.lookups // 3)]
    visitors += [Visitor(session_id=f"guest-{rng.randint(1, args.guests):06d}") for _ in range(args.lookups // 3)]
    calls = [lambda v=v: serving.recommended_for(v, limit=10) for v in visitors]
    calls += [
        lambda v=v: serving.also_bought(rng.choice(product_ids), v, limit=10) for v in visitors[: args.lookups // 6]
    ]
    calls += [
        lambda v=v: serving.for_cart(rng.sample(product_ids, 3), v, limit=10) for v in visitors[: args.lookups // 6]
    ]
    rng.shuffle(calls)
    for call in calls[:200]:
        call()
    timings, sources = [], {}
    for call in calls:
        t0 = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - t0) * 1000)
        sources[result.source] = sources.get(result.source, 0) + 1
    timings.sort()
    log(f"service: {len(timings)} lookups, sources {sources}")

    paths = []
    for _ in range(args.requests):
        roll = rng.random()
        if roll < 0.4:
            paths.append(f"/api/v1/recs/products/{rng.choice(product_ids)}/also-bought/")
        elif roll < 0.7:
            paths.append("/api/v1/recs/for-you/")
        else:
            paths.append("/api/v1/recs/cart/?product_ids=" + ",".join(map(str, rng.sample(product_ids, 3))))
    with web_server(env, workers=args.workers) as port:
        api = load(port, paths, args.concurrency)
    log(f"api: {api}")

    emit(
        {
            "interactions": version.stats["interactions"],
            "visitors": version.stats["visitors"],
            "products": version.stats["products"],
            "lists": version.stats["lists"],
            "train_s": round(train_s, 2),
            "publish_s": round(publish_s, 2),
            "service_lookups": len(timings),
            "service_p50_ms": round(percentile(timings, 50), 3),
            "service_p99_ms": round(percentile(timings, 99), 3),
            "service_max_ms": round(timings[-1], 3),
            "api_rps": round(api["rps"], 1),
            "api_p50_ms": round(api["p50_ms"], 2),
            "api_p99_ms": round(api["p99_ms"], 2),
            "api_errors": int(api["errors"]),
        }
    )


def write_log(args: argparse.Namespace) -> list[int]:
    """Customers and guests with tastes for 1-3 categories; skewed product popularity; 90 days."""
    from django.utils import timezone

    from shop.catalog import services as catalog
    from shop.recs.models import Interaction

    rng = random.Random(5)
    by_category: dict[int, list[int]] = {}
    for product in catalog.iter_products():
        if product.is_active:
            by_category.setdefault(product.category_id, []).append(product.product_id)
    categories = [c for c, ids in by_category.items() if len(ids) >= 5]
    product_ids = [pid for ids in by_category.values() for pid in ids]
    visitors = [(user_id, "") for user_id in range(1, args.customers + 1)]
    visitors += [(None, f"guest-{n:06d}") for n in range(1, args.guests + 1)]
    tastes = {visitor: rng.sample(categories, rng.randint(1, 3)) for visitor in visitors}
    now = timezone.now()
    kinds = [Interaction.Kind.VIEW] * 16 + [Interaction.Kind.ADD_TO_CART] * 3 + [Interaction.Kind.PURCHASE]
    log(f"writing {args.interactions} interactions over {len(categories)} categories, {len(product_ids)} products")
    batch: list[Interaction] = []
    for n in range(args.interactions):
        user_id, session_id = visitor = rng.choice(visitors)
        ids = by_category[rng.choice(tastes[visitor])]
        product_id = ids[min(int(rng.paretovariate(1.2)) - 1, len(ids) - 1)]  # a few products per category sell most
        kind = rng.choice(kinds)
        batch.append(
            Interaction(
                kind=kind,
                product_id=product_id,
                user_id=user_id,
                session_id=session_id,
                occurred_at=now - timedelta(seconds=rng.randint(60, 90 * 86400)),
            )
        )
        if len(batch) == 10_000 or n == args.interactions - 1:
            Interaction.objects.bulk_create(batch)
            batch = []
    return product_ids


if __name__ == "__main__":
    main()
