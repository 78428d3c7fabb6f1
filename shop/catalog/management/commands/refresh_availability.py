"""``manage.py refresh_availability``: re-project every product's availability from inventory now."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shop.catalog import availability
from shop.catalog.models import Availability, Product


class Command(BaseCommand):
    help = (
        "Set every product's availability (in stock, low, out) from inventory now, instead of waiting "
        "for the stock events to be relayed: after a bulk stock load (the launcher runs it after "
        "seed_stock) or to repair the projection. Publishes ProductUpdated for each change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="Products per transaction.")
        parser.add_argument(
            "--if-unprojected",
            action="store_true",
            help="Do nothing if any product already shows stock (for the launcher, which runs this on every start).",
        )

    def handle(self, *args: Any, batch_size: int, if_unprojected: bool, **options: Any) -> None:
        started = time.monotonic()
        if if_unprojected and Product.objects.exclude(availability=Availability.OUT_OF_STOCK).exists():
            self.stdout.write("Availability is already projected; nothing to do (--if-unprojected).")
            return
        changed = availability.project_all(batch_size=max(1, batch_size))
        self.stdout.write(
            self.style.SUCCESS(f"{changed} products changed availability in {time.monotonic() - started:.1f}s")
        )
