"""``manage.py recs_train``: train and serve a new model now (beat runs the same nightly).

Also ``--activate N`` to serve an older version (roll back) and ``--refill`` to
copy the active version into Redis again without training.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shop.recs import publishing, training
from shop.recs.locks import Busy
from shop.recs.models import ModelVersion


class Command(BaseCommand):
    help = "Train the recommendation models on the interaction log and serve the result."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--no-activate", action="store_true", help="Train and save, but keep serving the old version."
        )
        group.add_argument("--activate", type=int, metavar="VERSION", help="Serve an existing version; no training.")
        group.add_argument("--refill", action="store_true", help="Copy the active version into Redis if it is missing.")

    def handle(self, *args: Any, no_activate: bool, activate: int | None, refill: bool, **options: Any) -> None:
        if refill:
            self.stdout.write(publishing.ensure_loaded())
            return
        if activate is not None:
            try:
                publishing.activate(activate)
            except ModelVersion.DoesNotExist:
                raise CommandError(f"There is no version {activate}.") from None
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"v{activate} is now served.")
            return
        try:
            version = training.train()
        except Busy:
            raise CommandError("Another training run is in progress.") from None
        self.stdout.write(f"Trained v{version.id}: {version.stats}")
        if not no_activate:
            publishing.activate(version.id)
            publishing.prune_versions()
            self.stdout.write(f"v{version.id} is now served.")
