"""``manage.py rebuild_search_index``: rewrite every search document from the catalog."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from shop.search import projection


class Command(BaseCommand):
    help = "Rebuild the search documents (and the Elasticsearch index, if configured) from the catalog."

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(desc="Indexing", unit="product", file=sys.stderr, disable=options["verbosity"] == 0) as bar:
            stats = projection.rebuild(progress=bar.update, total=lambda n: setattr(bar, "total", n))
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {stats.indexed} products, removed {stats.removed} stale documents in {stats.seconds:.1f}s."
            )
        )
