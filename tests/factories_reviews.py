"""Customers, reviews and a small trained fraud model for the reviews tests.

The model used by most tests is trained on a small synthetic corpus (seconds,
deterministic, no data files needed): "fake" texts are gushing generic praise,
"genuine" ones talk about concrete details. Tests of the real training data
live in ``test_reviews_training.py``.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import joblib
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from shop.reviews import services
from shop.reviews.fraud import registry, text_model
from shop.reviews.models import FraudModel

GENUINE_TEXT = (
    "The zipper on the left pocket broke after three weeks of daily use, but the stitching held up well "
    "and the seller replaced it within four days. The strap is a bit short for me at six feet tall."
)
FAKE_TEXT = "Amazing amazing product!!! Best purchase ever, highly recommend to everyone, five stars, buy it now!!!"
DISTINCT_GENUINE_TEXTS = [
    "Bought it for my father. The buttons are large enough for him and the battery lasts about a week.",
    "Runs small: I wear a nine and needed a ten. Otherwise the stitching on the sole looks solid.",
    "The lid does not seal well, so the soup leaked in my bag once. The steel keeps tea hot for hours.",
    "Assembly took forty minutes with two people; screw C was missing but the shop sent one quickly.",
    "Colour is darker than in the photo, closer to navy. Washed it twice on cold and it did not shrink.",
    "The cable is short, around one metre, so I use an extension. Charging from zero takes two hours.",
]
TEST_MODEL_VERSION = "test-synthetic-1"

_GENUINE_PARTS = [
    ["The zipper", "The left strap", "The charger cable", "The lid hinge", "The sole", "The battery cover"],
    ["broke after three weeks", "started fraying after a month", "feels sturdier than my old one", "squeaks a bit"],
    ["but the seller replaced it within four days.", "so I glued it myself.", "which is fine for the price I paid."],
    ["I use it on my commute every morning.", "My daughter uses it for school.", "It fits in the kitchen drawer."],
]
_FAKE_PARTS = [
    ["Amazing product!!!", "Best purchase ever!!!", "Wow just wow!!!", "Super awesome product!!!"],
    ["Highly recommend to everyone,", "Everyone should buy this,", "Must buy for all,", "Recommend to all friends,"],
    ["five stars,", "5 stars,", "ten out of ten,", "perfect perfect,"],
    ["buy it now!!!", "best deal ever!!!", "you will love it!!!", "amazing amazing!!!"],
]


def synthetic_corpus() -> text_model.LabelledTexts:
    rng = random.Random(7)
    genuine = [" ".join(parts) for parts in itertools.product(*_GENUINE_PARTS)]
    fake = [" ".join(parts) for parts in itertools.product(*_FAKE_PARTS)]
    rng.shuffle(genuine)
    rng.shuffle(fake)
    texts = genuine[:120] + fake[:120]
    return text_model.LabelledTexts(texts, [0] * 120 + [1] * 120)


@pytest.fixture(scope="session")
def synthetic_model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The synthetic model, trained once per test session: (file, sha256)."""
    directory = tmp_path_factory.mktemp("review-models")
    path = directory / f"{TEST_MODEL_VERSION}.joblib"
    joblib.dump(text_model.train(synthetic_corpus()), path)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def model_dir(settings: Any, tmp_path: Path) -> Path:
    """A private model directory for this test."""
    settings.REVIEWS_FRAUD_MODEL_DIR = tmp_path / "models"
    registry.clear_cache()
    return settings.REVIEWS_FRAUD_MODEL_DIR


@pytest.fixture
def fraud_model(model_dir: Path, synthetic_model_file: tuple[Path, str]) -> FraudModel:
    """The synthetic model installed as the current version."""
    source, sha256 = synthetic_model_file
    model_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, model_dir / source.name)
    return FraudModel.objects.create(
        version=TEST_MODEL_VERSION, sha256=sha256, is_current=True, trained_on="synthetic", train_rows=240
    )


_counter = itertools.count(1)


def customer(*, age_days: float = 365, **fields: Any) -> Any:
    """A customer whose account is ``age_days`` old (established by default)."""
    n = next(_counter)
    user = get_user_model().objects.create_user(
        username=fields.pop("username", f"customer{n}"),
        email=fields.pop("email", f"customer{n}@example.com"),
        password="pw-for-tests",
        **fields,
    )
    get_user_model().objects.filter(id=user.id).update(date_joined=timezone.now() - timedelta(days=age_days))
    return user


def write(user: Any, product_id: int, *, rating: int = 4, title: str = "Solid", body: str = GENUINE_TEXT) -> Any:
    return services.submit_review(
        user_id=user.id, product_id=product_id, rating=rating, title=title, body=body, author_name=user.username
    )
