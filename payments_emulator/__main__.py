"""``python -m payments_emulator --port 12111 --data var/payments-emulator.sqlite3 ...``

Development keys are fixed, public, and only ever accepted by this emulator; they are not
secrets. ``--webhook-url``/``--webhook-secret`` register one endpoint receiving every event
(what ``stripe listen --forward-to`` does for a developer); more can be added through
``POST /v1/webhook_endpoints`` as on Stripe.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from payments_emulator.api import webhook_endpoint
from payments_emulator.server import Config, Emulator, EmulatorServer
from payments_emulator.store import Store
from payments_emulator.webhooks import Deliverer

DEV_SECRET_KEY = "sk_test_emulator"  # noqa: S105 (a fixed development key, valid only here)
DEV_PUBLISHABLE_KEY = "pk_test_emulator"
CLI_ENDPOINT_ID = "we_cli"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m payments_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port (printed on start)")
    parser.add_argument("--data", type=Path, default=Path("var/payments-emulator.sqlite3"), help="SQLite state file")
    parser.add_argument("--secret-key", action="append", help=f"accepted secret key (default {DEV_SECRET_KEY})")
    parser.add_argument(
        "--publishable-key", action="append", help=f"accepted publishable key (default {DEV_PUBLISHABLE_KEY})"
    )
    parser.add_argument("--webhook-url", help="send every event to this URL")
    parser.add_argument("--webhook-secret", help="the whsec_... secret that signs those webhooks")
    parser.add_argument("--public-url", default="", help="base URL browsers use to reach the emulator")
    parser.add_argument("--idempotency-ttl", type=float, default=24 * 3600, help="seconds keys are remembered")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API call (a slow processor)")
    parser.add_argument("--log-level", default="INFO")
    options = parser.parse_args(argv)
    if bool(options.webhook_url) != bool(options.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    if options.webhook_secret and not options.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    logging.basicConfig(level=options.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(options.data)
    with store.transaction():
        if options.webhook_url:
            store.put(webhook_endpoint(CLI_ENDPOINT_ID, options.webhook_url, ["*"], options.webhook_secret))
        elif existing := store.find(CLI_ENDPOINT_ID, "webhook_endpoint"):
            existing["status"] = "disabled"
            store.put(existing)
    config = Config(
        secret_keys=set(options.secret_key or [DEV_SECRET_KEY]),
        publishable_keys=set(options.publishable_key or [DEV_PUBLISHABLE_KEY]),
        idempotency_ttl=options.idempotency_ttl,
        latency=options.latency_ms / 1000,
        public_url=options.public_url.rstrip("/"),
    )
    deliverer = Deliverer(store)
    server = EmulatorServer((options.host, options.port), Emulator(store, config, deliverer))
    deliverer.start()

    def stop(signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"payments emulator listening on http://{host}:{port} (data {options.data})", flush=True)  # noqa: T201
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        deliverer.stopping.set()
        deliverer.wake.set()
        deliverer.join(timeout=5)
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
