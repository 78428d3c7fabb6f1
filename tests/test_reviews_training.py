"""Training the shipped text model on the real labelled data, and versioning it."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from shop.reviews.fraud import registry, text_model
from shop.reviews.models import FraudModel
from tests.factories_reviews import model_dir  # noqa: F401 (fixture)

DATA = settings.SHARED_DATA_DIR
needs_data = pytest.mark.skipif(
    not (DATA / text_model.SALMINEN_FILE).exists() or not (DATA / text_model.OTT_FILE).exists(),
    reason=f"no review data sets in {DATA}",
)
pytestmark = pytest.mark.django_db


@needs_data
def test_both_data_sets_load_with_their_labels():
    salminen = text_model.load_salminen()
    ott = text_model.load_ott()

    assert (len(salminen["dev"]), len(salminen["test"]), len(ott)) == (4000, 4000, 1600)
    assert sum(salminen["dev"].labels) == 2003  # CG rows in the dev split (see the data set's README)
    assert sum(ott.labels) == 800


@needs_data
@pytest.mark.usefixtures("model_dir")
def test_the_command_trains_on_salminen_only_evaluates_and_makes_the_version_current():
    out = io.StringIO()

    call_command("train_review_model", stdout=out)

    row = FraudModel.objects.get(is_current=True)
    assert row.train_rows == 4000
    assert "Salminen" in row.trained_on
    assert "Ott" not in row.trained_on
    assert row.metrics["salminen_test"]["auc"] > 0.95
    assert row.metrics["salminen_test"]["precision"] > 0.85
    assert 0.3 < row.metrics["ott_all_evaluation_only"]["auc"] < 0.8  # another domain: little transfer
    assert registry.model_path(row.version).stat().st_size < 5_000_000
    loaded = registry.current_model()
    assert loaded.version == row.version
    assert loaded.model.score("Great product, I love it. Works great and looks great.").top_ngrams

    call_command("train_review_model", "--if-missing", stdout=out)

    assert FraudModel.objects.count() == 1
    assert "already current" in out.getvalue()


@pytest.mark.usefixtures("model_dir")
def test_a_first_start_without_the_data_warns_and_trains_nothing(settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path / "nowhere"
    err = io.StringIO()

    call_command("train_review_model", "--if-missing", stderr=err)

    assert "held for moderation" in err.getvalue()
    assert not FraudModel.objects.exists()
    with pytest.raises(CommandError):
        call_command("train_review_model")
