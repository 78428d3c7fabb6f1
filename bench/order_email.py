"""Time from OrderCreated to the order confirmation email being sent.

A fresh database, a real Celery worker (the outbox relay and every consumer of
OrderCreated run in it), Celery beat (the relay's one-second tick, as in production)
and a real SMTP server (aiosmtpd, in this process) that records when each message
arrives. Orders are created through the orders service
at a paced rate, as the checkout creates them; the latency of an order is the time
from its OrderCreated event (written in the order's transaction) to the moment its
confirmation email reached the SMTP server.

    python bench/order_email.py [--orders 300] [--rate 10] [--concurrency 2]

The last line is JSON: ``email_p50_ms``, ``email_p95_ms``, ``email_p99_ms``,
``email_max_ms``, ``orders``, ``emails``, ``duplicates``, ``rate_per_s``.
"""

from __future__ import annotations

import argparse
import email
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller

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
)

WARM_UP = 5


class Sink:
    """An SMTP server that notes when each order confirmation arrives."""

    def __init__(self) -> None:
        self.arrived: dict[int, list[float]] = {}
        self.other = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        kind, _, order_id = (message.get("X-Shop-Notification") or "").partition(":")
        with self.lock:
            if kind == "order_confirmation" and order_id.isdigit():
                self.arrived.setdefault(int(order_id), []).append(now)
            else:
                self.other += 1
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.arrived)


@contextmanager
def celery_beat(env: dict[str, str]) -> Iterator[None]:
    """Beat, which kicks the outbox relay every second (production runs it)."""
    with tempfile.TemporaryDirectory() as directory:
        schedule = str(Path(directory) / "beat-schedule")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "beat", "-l", "warning", "-s", schedule],
            cwd=ROOT,
            env=env,
        )
        try:
            yield
        finally:
            process.terminate()
            process.wait(30)


def place(index: int) -> tuple[int, float]:
    """An order as the checkout creates it; returns its id and its OrderCreated timestamp."""
    from shop.core.models import OutboxEvent
    from shop.core.money import Money
    from shop.orders import services

    lines = [
        services.NewOrderLine(
            sku_id=1000 + index % 50,
            product_id=1000 + index % 50,
            product_name=f"Bench product {index % 50}",
            sku_code=f"BENCH-{index % 50}",
            quantity=1 + index % 3,
            unit_price=Decimal("499.00"),
            warehouse_id=1 + index % 2,
        )
    ]
    subtotal = Money.of(Decimal("499.00") * lines[0].quantity, "INR")
    shipping, tax = Money.of("40", "INR"), (subtotal * Decimal("0.18")).quantized()
    order = services.create_order(
        checkout_id=str(uuid.uuid4()),
        user_id=None,
        email=f"buyer{index}@example.com",
        lines=lines,
        totals=services.OrderTotals(subtotal, shipping, tax, subtotal + shipping + tax),
        shipping_method="standard",
        shipping_address={"name": f"Buyer {index}", "line1": "1 MG Road", "city": "Bengaluru", "postcode": "560001"},
        payment_reference=f"bench-{uuid.uuid4().hex[:12]}",
    )
    created = OutboxEvent.objects.get(event_type="orders.OrderCreated", payload__order_id=order.order_id)
    return order.order_id, created.occurred_at.timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders measured")
    parser.add_argument("--rate", type=float, default=10.0, help="orders created per second (paced)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the last email")
    args = parser.parse_args()

    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = bench_env(
        fresh_database("order_email"),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        FULFILLMENT_SIMULATION_AUTOPLAY="0",
    )
    flush_redis(env)
    log("migrating a fresh database")
    manage(env, "migrate", "--noinput", "-v", "0")
    setup_django(env)

    try:
        with celery_worker(env, concurrency=args.concurrency), celery_beat(env):
            for index in range(WARM_UP):
                place(-1 - index)
            deadline = time.monotonic() + 30
            while sink.count() < WARM_UP and time.monotonic() < deadline:
                time.sleep(0.05)
            log(f"warm: {sink.count()} of {WARM_UP} warm-up emails; placing {args.orders} orders at {args.rate}/s")

            created: dict[int, float] = {}
            started = time.perf_counter()
            for index in range(args.orders):
                due = started + index / args.rate
                time.sleep(max(0.0, due - time.perf_counter()))
                order_id, at = place(index)
                created[order_id] = at
            placing = time.perf_counter() - started

            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline and not all(order_id in sink.arrived for order_id in created):
                time.sleep(0.05)
    finally:
        controller.stop()

    latencies = sorted((sink.arrived[o][0] - at) * 1000 for o, at in created.items() if o in sink.arrived)
    duplicates = sum(len(sink.arrived[o]) - 1 for o in created if o in sink.arrived)
    log(f"{len(latencies)} of {len(created)} confirmations received, {duplicates} duplicates, {sink.other} other")
    missing = [o for o in created if o not in sink.arrived]
    if missing:
        log(f"missing orders (first 10): {missing[:10]}")
    emit(
        {
            "orders": len(created),
            "emails": len(latencies),
            "duplicates": duplicates,
            "rate_per_s": round(len(created) / placing, 1),
            "email_p50_ms": round(percentile(latencies, 50), 1),
            "email_p95_ms": round(percentile(latencies, 95), 1),
            "email_p99_ms": round(percentile(latencies, 99), 1),
            "email_max_ms": round(latencies[-1], 1) if latencies else None,
        }
    )


if __name__ == "__main__":
    main()
