"""Train the fraud gate's text model, evaluate it, and make it the current version.

    manage.py train_review_model              # train, evaluate, save, switch
    manage.py train_review_model --if-missing # only when no version is current (first start);
                                              # missing data is then a warning, not an error

Trains on the Salminen subset's ``dev`` split and reports figures on its held-out
``test`` split and on the whole Ott corpus. The Ott corpus is non-commercial
(CC BY-NC-SA): it is only ever evaluated on, never trained on.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shop.reviews.fraud import registry, text_model
from shop.reviews.models import FraudModel


class Command(BaseCommand):
    help = "Train, evaluate and version the review fraud text model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when a version is already current.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_missing"] and FraudModel.objects.filter(is_current=True).exists():
            self.stdout.write("A review fraud model is already current; not training.")
            return
        started = time.monotonic()
        try:
            salminen = text_model.load_salminen()
            ott = text_model.load_ott()
        except OSError as exc:
            message = f"Cannot read the training data ({exc}); set SHOP_SHARED_DATA."
            if options["if_missing"]:  # a first start without the data: reviews wait for moderators
                self.stderr.write(f"warning: {message} New reviews will be held for moderation.")
                return
            raise CommandError(message) from exc
        pipeline = text_model.train(salminen["dev"])
        metrics = {
            "salminen_test": text_model.evaluate(pipeline, salminen["test"]),
            "ott_all_evaluation_only": text_model.evaluate(pipeline, ott),
            "seconds": round(time.monotonic() - started, 1),
        }
        row = registry.save_version(
            pipeline,
            trained_on="Salminen et al. 2022 subset, dev split (GPT-2 fakes vs Amazon reviews)",
            train_rows=len(salminen["dev"]),
            metrics=metrics,
        )
        self.stdout.write(f"Review fraud model {row.version} is now current: {json.dumps(metrics)}")
