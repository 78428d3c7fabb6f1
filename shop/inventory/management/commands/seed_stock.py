"""``manage.py seed_stock``: demo warehouses and stock for every catalog SKU (shop.inventory.seeding)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from shop.inventory import seeding
from shop.inventory.models import StockLevel


class Command(BaseCommand):
    help = (
        "Create the demo warehouses and a deterministic stock level for every catalog SKU that has none. "
        "Idempotent: SKUs that already have stock are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="SKUs per transaction.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any stock exists (for the launcher, which runs this on every start).",
        )

    def handle(self, *args: Any, batch_size: int, if_empty: bool, **options: Any) -> None:
        started = time.monotonic()
        if if_empty and StockLevel.objects.exists():
            self.stdout.write("Stock already exists; nothing seeded (--if-empty).")
            return
        with tqdm(desc="Stocking", unit="sku", file=sys.stderr, disable=options["verbosity"] < 1) as bar:
            stats = seeding.seed(batch_size=max(1, batch_size), progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{stats.summary()} in {time.monotonic() - started:.1f}s"))
