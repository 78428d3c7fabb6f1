"""``manage.py seed_stock``: demo warehouses and stock for every catalog SKU (shop.inventory.seeding)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from shop.inventory import seeding


class Command(BaseCommand):
    help = (
        "Create the demo warehouses and a deterministic stock level for every catalog SKU that has none. "
        "Idempotent: SKUs that already have stock are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="SKUs per transaction.")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        started = time.monotonic()
        with tqdm(desc="Stocking", unit="sku", file=sys.stderr, disable=options["verbosity"] < 1) as bar:
            stats = seeding.seed(batch_size=max(1, batch_size), progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{stats.summary()} in {time.monotonic() - started:.1f}s"))
