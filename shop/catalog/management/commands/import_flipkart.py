"""``manage.py import_flipkart``: load the Flipkart sample into the catalog (docs/demo-data.md).

The work is in ``shop.catalog.importing``; this only handles options and output.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shop.catalog.importing import flipkart, loader
from shop.catalog.models import Product


class Command(BaseCommand):
    help = "Import the Flipkart product sample idempotently: categories, brands, products, SKUs and images."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=settings.SHARED_DATA_DIR / "flipkart_products",
            help="Folder holding the two flipkart_products_*.csv.gz files.",
        )
        parser.add_argument("--limit", type=int, default=None, help="Import only the first N rows.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the catalog already has products (for the launcher, which runs this on every start).",
        )

    def handle(self, *args: Any, data_dir: Path, limit: int | None, if_empty: bool, **options: Any) -> None:
        if limit is not None and limit < 0:
            raise CommandError("--limit must be zero or more.")
        started = time.monotonic()
        with loader.exclusive_import():
            if if_empty and Product.objects.exists():
                self.stdout.write("The catalog already has products; nothing imported (--if-empty).")
                return
            missing = flipkart.missing_files(data_dir)
            if missing:
                raise CommandError(f"Missing data file(s): {', '.join(str(path) for path in missing)}")
            try:
                result = flipkart.read_records(data_dir, limit)
            except flipkart.DataError as exc:
                raise CommandError(str(exc)) from exc
            with tqdm(total=len(result.records), desc="Importing", unit="product", file=sys.stderr) as bar:
                stats = loader.import_records(result.records, progress=bar.update)
        stats.skipped = result.skipped_no_price
        stats.seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(stats.summary()))
