"""Versioned text models: files under ``REVIEWS_FRAUD_MODEL_DIR``, the current
version named by a database row.

Every process asks the database which version is current and keeps only a cache
of that immutable file, keyed by its version: switching versions (training, or
staff marking an older row current) reaches every web and worker process on its
next score, with nothing to restart. On hosts that do not share a disk the
directory must be shared storage (or every host trains the same version).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.reviews.models import FraudModel

if TYPE_CHECKING:  # scikit-learn costs ~1 s to import: only processes that score or train pay it
    from sklearn.pipeline import Pipeline

    from shop.reviews.fraud.text_model import TextModel

log = logging.getLogger(__name__)

_cache_lock = threading.Lock()
_cache: dict[str, TextModel] = {}  # at most one entry: the version last seen as current


@dataclass(frozen=True)
class LoadedModel:
    version: str
    model: TextModel


def model_dir() -> Path:
    return Path(settings.REVIEWS_FRAUD_MODEL_DIR)


def model_path(version: str) -> Path:
    return model_dir() / f"{version}.joblib"


def save_version(pipeline: Pipeline, *, trained_on: str, train_rows: int, metrics: dict[str, Any]) -> FraudModel:
    """Write the model file (atomically) and make it the current version."""
    directory = model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    temporary = directory / f".{stamp}-{os.getpid()}.tmp"
    joblib.dump(pipeline, temporary, compress=3)
    digest = hashlib.sha256(temporary.read_bytes()).hexdigest()
    version = f"{stamp}-{digest[:8]}"
    temporary.replace(model_path(version))
    with transaction.atomic():
        FraudModel.objects.filter(is_current=True).update(is_current=False)
        return FraudModel.objects.create(
            version=version,
            sha256=digest,
            is_current=True,
            trained_on=trained_on,
            train_rows=train_rows,
            metrics=metrics,
        )


@transaction.atomic
def make_current(version: str) -> None:
    """Roll back or forward to a version trained earlier."""
    row = FraudModel.objects.select_for_update().get(version=version)
    FraudModel.objects.filter(is_current=True).exclude(id=row.id).update(is_current=False)
    FraudModel.objects.filter(id=row.id).update(is_current=True)


def current_model() -> LoadedModel | None:
    """The current version, loaded (from this process's cache when it is the same version).

    None when no version is current or its file is missing or corrupt: the gate
    then sends reviews to moderation instead of guessing.
    """
    row = FraudModel.objects.filter(is_current=True).values("version", "sha256").first()
    if row is None:
        return None
    version = row["version"]
    cached = _cache.get(version)
    if cached is not None:
        return LoadedModel(version, cached)
    with _cache_lock:
        if version not in _cache:
            loaded = _load(version, row["sha256"])
            if loaded is None:
                return None
            _cache.clear()
            _cache[version] = loaded
        return LoadedModel(version, _cache[version])


def _load(version: str, sha256: str) -> TextModel | None:
    path = model_path(version)
    try:
        data = path.read_bytes()
    except OSError:
        log.error("fraud model %s is current but %s cannot be read", version, path)
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        log.error("fraud model file %s does not match its recorded checksum; not loading it", path)
        return None
    from shop.reviews.fraud.text_model import TextModel

    try:
        return TextModel(joblib.load(path))
    except Exception:  # e.g. pickled by an incompatible scikit-learn: retrain rather than crash every score
        log.exception("fraud model %s cannot be loaded; retrain it with manage.py train_review_model", version)
        return None


def clear_cache() -> None:
    """Forget loaded models (tests that replace files)."""
    with _cache_lock:
        _cache.clear()
