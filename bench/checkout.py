"""Checkout throughput and latency: concurrent customers through "place order" to order created.

A fresh database gets a small catalog with stock, customers with API tokens and full carts,
and a few scarce SKUs most carts want (fewer units than buyers, so some checkouts must fail
cleanly with "out of stock"); a share of customers pay with a card that is declined. Then
client processes, each a stream of customers, POST ``/api/v1/checkout`` to gunicorn and poll
the status URL until the saga ends in a Celery worker, against the payments emulator (started
here; its STRIPE_* settings are passed to the server and the worker).

Latency is from the moment the client sends "place order" to the order's creation time in the
database; ``orders_per_s`` counts orders created over the run. Afterwards, from the database
and the emulator: ``oversell`` (units sold beyond stock, stock rows that disagree with the
sales, holds left open) and ``double_charges`` (authorizations at the processor beyond one
per order; an authorization for a checkout without an order counts too). Both must be 0.

    python bench/checkout.py [--customers 400] [--concurrency 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    ROOT,
    bench_env,
    celery_worker,
    emit,
    flush_redis,
    free_port,
    fresh_database,
    log,
    manage,
    percentile,
    setup_django,
    web_server,
)

SECRET_KEY = "sk_test_emulator"  # noqa: S105 (the emulator's public development key)
SKUS = 200  # plenty of stock
SCARCE = 3  # a few units each, wanted by many
SCARCE_UNITS = 15
DECLINE_SHARE = 0.05
POLL_SECONDS = 0.25  # as the confirmation page polls; latency comes from the database, not from polling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=400, help="checkouts placed (one customer each)")
    parser.add_argument("--concurrency", type=int, default=16, help="client processes placing orders at once")
    parser.add_argument("--workers", type=int, default=4, help="Celery worker processes running sagas")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, payments_emulator(Path(tmp) / "emulator.sqlite3") as stripe_base:
        stripe = {
            "STRIPE_API_BASE": stripe_base,
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_emulator",
            "STRIPE_WEBHOOK_SECRET": "whsec_bench_only",
        }
        # Order confirmations are rendered and "sent" in memory: no SMTP server here.
        mail = {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        env = bench_env(fresh_database("checkout"), **stripe, **mail)
        log("migrating")
        manage(env, "migrate", "--noinput", "-v", "0")
        flush_redis(env)
        setup_django(env)
        log(f"catalog, stock and {args.customers} customers with carts")
        stock, customers = set_up(args.customers)
        from django.db import connections

        connections.close_all()

        with web_server(env, workers=args.web_workers) as port, celery_worker(env, concurrency=args.workers):
            log(f"{args.customers} checkouts from {args.concurrency} clients, {args.workers} saga workers")
            started = time.time()
            results = place_orders(port, customers, args.concurrency)
            wall = time.time() - started
        figures = summarise(results, stock, wall, stripe_base)
    figures |= {"customers": args.customers, "concurrency": args.concurrency, "workers": args.workers}
    flush_redis(env)
    emit(figures)


@contextmanager
def payments_emulator(data: Path) -> Any:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "payments_emulator", "--port", str(port), "--data", str(data), "--log-level", "WARNING"],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):  # noqa: S310 (loopback)
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the payments emulator did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def set_up(count: int) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Products, stock, customers with tokens and carts; returns stock per SKU and the customers."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from shop.accounts.models import User
    from shop.cart import services as cart
    from shop.catalog import services as catalog
    from shop.catalog.models import Category
    from shop.inventory import services as inventory
    from shop.inventory.models import Warehouse

    rng = random.Random(42)
    category = Category.add_root(name="Bench", slug="bench")
    warehouses = [
        Warehouse.objects.create(code="BLR1", name="Bengaluru", zone="south", priority=1),
        Warehouse.objects.create(code="DEL1", name="Delhi", zone="north", priority=2),
    ]
    sku_ids, stock = [], {}
    for n in range(SKUS + SCARCE):
        price = Decimal(rng.choice(["199.00", "349.00", "499.00", "899.00", "1299.00"]))
        product = catalog.create_product(name=f"Bench product {n}", category=category, price=price)
        sku_id = product.skus.get().id
        units = SCARCE_UNITS if n >= SKUS else 10_000
        inventory.receive(sku_id, warehouses[n % 2].id, units, reason="bench stock")
        sku_ids.append(sku_id)
        stock[sku_id] = units
    scarce = sku_ids[SKUS:]
    customers = []
    for n in range(count):
        with transaction.atomic():
            user = User.objects.create_user(username=f"bench{n}@example.com", email=f"bench{n}@example.com")
            token = Token.objects.create(user=user).key
        owner = cart.CartOwner(user_id=user.id)
        for sku_id in rng.sample(sku_ids[:SKUS], rng.randint(1, 3)):
            cart.add_item(owner, sku_id, rng.randint(1, 2))
        if rng.random() < 0.3:  # many want one of the scarce items
            cart.add_item(owner, rng.choice(scarce), 1)
        card = "pm_card_chargeDeclined" if rng.random() < DECLINE_SHARE else "pm_card_visa"
        customers.append({"token": token, "card": card, "key": f"bench-{n}"})
    return stock, customers


ADDRESS = {"name": "Bench Buyer", "line1": "1 MG Road", "city": "Bengaluru", "postcode": "560001", "country": "IN"}


def place_orders(port: int, customers: list[dict[str, Any]], concurrency: int) -> list[dict[str, Any]]:
    shares = [(port, customers[i::concurrency]) for i in range(concurrency)]
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        return [result for share in pool.map(client, shares) for result in share]


def client(args: tuple[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One client process: its customers one after another, each to the end of its saga."""
    port, customers = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    results = []
    for customer in customers:
        headers = {
            "Authorization": f"Token {customer['token']}",
            "Content-Type": "application/json",
            "Idempotency-Key": customer["key"],
        }
        body = {"shipping_address": ADDRESS, "shipping_option": "standard", "payment_method": customer["card"]}
        sent = time.time()
        status, answer = request(conn, "POST", "/api/v1/checkout", headers, json.dumps(body))
        result: dict[str, Any] = {"sent": sent, "status": status, "id": answer.get("id"), "state": "", "code": ""}
        if status == 202:
            path = "/api/v1/checkout/" + answer["id"]
            while not answer.get("is_terminal"):
                time.sleep(POLL_SECONDS)
                _status, answer = request(conn, "GET", path, {"Authorization": headers["Authorization"]})
            result["state"] = answer["state"]
        result["code"] = (answer.get("failure") or answer.get("error") or {}).get("code", "")
        result["seen"] = time.time()
        results.append(result)
    conn.close()
    return results


def request(
    conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, Any]]:
    for attempt in range(3):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.will_close:
                conn.close()
            return response.status, json.loads(data or b"{}")
        except (OSError, http.client.HTTPException):
            conn.close()
            if attempt == 2:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def summarise(results: list[dict[str, Any]], stock: dict[int, int], wall: float, stripe_base: str) -> dict[str, Any]:
    from django.db.models import Sum

    from shop.checkout.models import Checkout
    from shop.inventory import services as inventory
    from shop.inventory.models import Hold
    from shop.orders.models import Order, OrderLine

    placed = {str(checkout): created for checkout, created in Order.objects.values_list("checkout_id", "placed_at")}
    latencies = sorted(
        (placed[r["id"]].timestamp() - r["sent"]) * 1000 for r in results if r["id"] in placed and r["status"] == 202
    )
    observed = sorted((r["seen"] - r["sent"]) * 1000 for r in results if r["state"] == "completed")
    first = min(r["sent"] for r in results)
    last = max(created.timestamp() for created in placed.values()) if placed else first
    outcomes = Counter(r["state"] or f"http_{r['status']}" for r in results)
    failures = Counter(r["code"] for r in results if r["state"] != "completed")
    log(f"outcomes {dict(outcomes)}, failures {dict(failures)}, wall {wall:.1f}s")

    sold = dict(OrderLine.objects.values_list("sku_id").annotate(total=Sum("quantity")))
    now = inventory.stock_of(stock)
    oversell = sum(max(0, sold.get(sku_id, 0) - units) for sku_id, units in stock.items())
    oversell += sum(1 for sku_id, units in stock.items() if now[sku_id].on_hand != units - sold.get(sku_id, 0))
    holds_left = Hold.objects.filter(status="held").count()
    oversell += holds_left + sum(1 for s in now.values() if s.reserved != 0 or s.on_hand < 0)

    authorized = authorizations(stripe_base)
    ordered = {f"checkout-{checkout_id}" for checkout_id in placed}
    double_charges = sum(max(0, n - (1 if ref in ordered else 0)) for ref, n in authorized.items())
    unfinished = Checkout.objects.exclude(state__in=["completed", "failed"]).count()
    return {
        "orders": len(placed),
        "orders_per_s": round(len(placed) / max(last - first, 1e-9), 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "observed_p50_ms": round(percentile(observed, 50), 1),
        "failed_out_of_stock": failures.get("out_of_stock", 0),
        "failed_declined": failures.get("generic_decline", 0),
        "failed_other": sum(n for code, n in failures.items() if code not in ("out_of_stock", "generic_decline")),
        "unfinished": unfinished,
        "holds_left": holds_left,
        "oversell": oversell,
        "double_charges": double_charges,
    }


def authorizations(stripe_base: str) -> dict[str, int]:
    """Authorized (or captured) intents per reference, as the processor has them."""
    import stripe

    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_base})
    counts: dict[str, int] = defaultdict(int)
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params=params)
        for intent in page.data:
            if intent.status in ("requires_capture", "succeeded"):
                counts[intent.metadata["reference"]] += 1
        if not page.has_more:
            return counts
        params["starting_after"] = page.data[-1].id


if __name__ == "__main__":
    main()
