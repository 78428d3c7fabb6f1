"""``manage.py train_search_ranker``: train the learning-to-rank model on the behaviour log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shop.search import behaviour, ltr


class Command(BaseCommand):
    help = (
        "Train a LightGBM lambdarank model on logged searches (labels: purchase 3, add to cart 2, click 1, "
        "shown only 0), save it as the next model version and activate it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="Use searches from the last N days.")
        parser.add_argument("--rounds", type=int, default=300, help="Boosting rounds (early stopping may use fewer).")
        parser.add_argument("--no-activate", action="store_true", help="Save the model without making it active.")
        parser.add_argument(
            "--force", action="store_true", help="Activate even if it ranks held-out searches no better than the base."
        )
        parser.add_argument("--deactivate", action="store_true", help="Switch learning-to-rank off (base ranking).")

    def handle(
        self, *args: Any, days: int, rounds: int, no_activate: bool, deactivate: bool, force: bool, **options: Any
    ) -> None:
        if deactivate:
            ltr.activate_version(None)
            self.stdout.write("Learning-to-rank is off: search ranks by the base score.")
            return
        if days < 1 or rounds < 1:
            raise CommandError("--days and --rounds must be positive.")
        groups = behaviour.training_groups(timedelta(days=days))
        try:
            trained = ltr.train(groups, rounds=rounds)
        except ValueError as exc:
            raise CommandError(f"Not enough behaviour to train on: {exc}") from exc
        better = ltr.beats_base(trained)
        activate = not no_activate and (better or force)
        model = ltr.save(trained, source="logs", activate=activate)
        if activate:
            state = "active"
        elif not better:
            state = "saved, not active: no better than the base ranking on held-out searches (--force to use it)"
        else:
            state = "saved, not active"
        self.stdout.write(
            self.style.SUCCESS(
                f"Ranker v{model.version} ({state}): {trained.queries} queries, metrics {trained.metrics}, "
                f"file {model.file_name}."
            )
        )
