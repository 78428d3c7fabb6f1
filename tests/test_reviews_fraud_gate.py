"""The fraud gate: every new or edited review is scored before it is published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.reviews import services, tasks
from shop.reviews.fraud import minhash, registry
from shop.reviews.fraud.scoring import NO_MODEL_REASON
from shop.reviews.models import FraudModel, FraudPolicy, Review, ReviewStatus
from tests.factories import ProductFactory
from tests.factories_orders import place_order
from tests.factories_reviews import (
    DISTINCT_GENUINE_TEXTS,
    FAKE_TEXT,
    GENUINE_TEXT,
    customer,
    fraud_model,  # noqa: F401 (fixture)
    model_dir,  # noqa: F401 (fixture)
    synthetic_model_file,  # noqa: F401 (fixture)
    write,
)

pytestmark = pytest.mark.django_db


def decided(review_id: int) -> Review:
    review = Review.objects.get(id=review_id)
    services.run_fraud_gate(review.id, review.revision)
    return Review.objects.get(id=review_id)


@pytest.mark.usefixtures("fraud_model")
def test_a_genuine_looking_review_from_an_established_customer_is_published():
    review = decided(write(customer(), ProductFactory().id).review_id)

    assert review.status == ReviewStatus.PUBLISHED
    assert review.fraud_score < 0.2
    assert review.decided_by == "model"
    assert review.model_version == "test-synthetic-1"
    assert review.published_at is not None


@pytest.mark.usefixtures("fraud_model")
def test_generated_looking_text_is_rejected_with_a_reason_for_staff():
    review = decided(write(customer(), ProductFactory().id, body=FAKE_TEXT, title="Wow").review_id)

    assert review.status == ReviewStatus.REJECTED
    assert review.fraud_score >= 0.95
    assert "reject threshold" in review.decision_reason
    assert "text" in review.decision_reason
    assert review.fraud_signals["top_ngrams"]
    assert services.get_review(review.id, viewer_id=review.user_id).status == "rejected"


@pytest.mark.usefixtures("fraud_model")
def test_the_same_text_from_another_account_is_held_as_a_near_duplicate():
    product, other_product = ProductFactory(), ProductFactory()
    first = decided(write(customer(), product.id).review_id)

    copy = decided(write(customer(), other_product.id, body=GENUINE_TEXT.replace("four", "five")).review_id)

    assert first.status == ReviewStatus.PUBLISHED
    assert copy.status == ReviewStatus.HELD
    assert copy.fraud_signals["signals"]["near_duplicate"] > 0.8
    assert copy.fraud_signals["behaviour"]["near_duplicate_of"] == first.id
    assert "near_duplicate" in copy.decision_reason


@pytest.mark.usefixtures("fraud_model")
def test_a_new_account_posting_many_reviews_in_a_day_is_held():
    spammer = customer(age_days=0)
    products = [ProductFactory() for _ in range(11)]
    for product in products[:10]:
        Review.objects.create(
            user_id=spammer.id,
            product_id=product.id,
            rating=5,
            title="t",
            body=f"review {product.id}",
            author_name="s",
            submitted_at=timezone.now(),
        )

    review = decided(
        write(spammer, products[10].id, body="Nice shoes, they fit well and the colour is as pictured.").review_id
    )

    assert review.status in (ReviewStatus.HELD, ReviewStatus.REJECTED)
    assert review.fraud_signals["behaviour"]["reviews_last_day"] == 10
    assert review.fraud_signals["signals"]["new_account"] == pytest.approx(1.0, abs=0.01)


@pytest.mark.usefixtures("fraud_model")
def test_behaviour_signals_are_measured():
    product = ProductFactory()
    buyer = customer(age_days=3)
    place_order(user_id=buyer.id, lines=[(product.id, product.skus.first().id, 1)])
    for text in DISTINCT_GENUINE_TEXTS[:3]:
        published = decided(write(customer(), product.id, rating=5, body=text).review_id)
        assert published.status == ReviewStatus.PUBLISHED, published.fraud_signals

    review = decided(write(buyer, product.id, rating=1, body="Nice shoes, they fit well.").review_id)

    behaviour, signals = review.fraud_signals["behaviour"], review.fraud_signals["signals"]
    assert behaviour["verified_purchase"] is True
    assert signals["unverified"] == 0.0
    assert behaviour["account_age_days"] == pytest.approx(3, abs=0.1)
    assert signals["new_account"] == pytest.approx(0.9, abs=0.01)
    assert behaviour["product_mean"] == 5.0
    assert signals["rating_deviation"] == 1.0
    assert behaviour["product_burst"] == 3


@pytest.mark.usefixtures("fraud_model")
def test_staff_thresholds_in_the_policy_table_change_the_decision():
    FraudPolicy.objects.create(hold_threshold=0.01, reject_threshold=0.99)

    review = decided(write(customer(), ProductFactory().id).review_id)

    assert review.status == ReviewStatus.HELD


@pytest.mark.usefixtures("model_dir")
def test_without_a_trained_model_every_review_waits_for_a_moderator():
    review = decided(write(customer(), ProductFactory().id).review_id)

    assert review.status == ReviewStatus.HELD
    assert review.decided_by == "no-model"
    assert review.decision_reason == NO_MODEL_REASON
    assert "signals" in review.fraud_signals  # behaviour is still shown to staff


def test_a_current_model_whose_file_is_corrupt_holds_reviews(fraud_model, model_dir):  # noqa: F811
    (model_dir / f"{fraud_model.version}.joblib").write_bytes(b"not a model")

    review = decided(write(customer(), ProductFactory().id).review_id)

    assert review.decided_by == "no-model"


@pytest.mark.usefixtures("fraud_model")
def test_an_edit_goes_back_through_the_gate():
    user = customer()
    review = decided(write(user, ProductFactory().id).review_id)
    assert review.status == ReviewStatus.PUBLISHED

    services.edit_review(review_id=review.id, user_id=user.id, body=FAKE_TEXT)
    edited = decided(review.id)

    assert edited.status == ReviewStatus.REJECTED
    assert edited.revision == 2


@pytest.mark.usefixtures("fraud_model")
def test_a_scoring_task_for_an_older_revision_or_a_decided_review_does_nothing():
    user = customer()
    review = write(user, ProductFactory().id)
    services.edit_review(review_id=review.review_id, user_id=user.id, rating=1)

    assert services.run_fraud_gate(review.review_id, 1) is None
    assert Review.objects.get().status == ReviewStatus.PENDING
    assert services.run_fraud_gate(review.review_id, 2) == ReviewStatus.PUBLISHED
    assert services.run_fraud_gate(review.review_id, 2) is None  # redelivered task


@pytest.mark.usefixtures("fraud_model")
def test_posting_runs_the_gate_as_a_task_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review = write(customer(), ProductFactory().id)

    assert services.get_review(review.review_id).status == "published"


@pytest.mark.usefixtures("fraud_model")
def test_reviews_left_pending_are_sent_to_the_gate_again():
    review = write(customer(), ProductFactory().id)
    Review.objects.filter(id=review.review_id).update(submitted_at=timezone.now() - timedelta(minutes=5))
    fresh = write(customer(), ProductFactory().id, body=DISTINCT_GENUINE_TEXTS[0])

    assert tasks.requeue_pending_reviews() == 1

    assert Review.objects.get(id=review.review_id).status == ReviewStatus.PUBLISHED
    assert Review.objects.get(id=fresh.review_id).status == ReviewStatus.PENDING


def test_switching_the_current_version_reaches_a_process_that_cached_the_old_one(fraud_model, model_dir):  # noqa: F811
    first = registry.current_model()
    assert first.version == fraud_model.version
    newer = FraudModel.objects.create(
        version="test-synthetic-2", sha256=fraud_model.sha256, trained_on="synthetic", train_rows=240
    )
    (model_dir / "test-synthetic-2.joblib").write_bytes((model_dir / f"{fraud_model.version}.joblib").read_bytes())

    registry.make_current(newer.version)

    assert registry.current_model().version == "test-synthetic-2"
    assert FraudModel.objects.filter(is_current=True).count() == 1


def test_minhash_estimates_similarity_and_shares_bands_for_near_duplicates():
    a = minhash.signature(GENUINE_TEXT)
    b = minhash.signature(GENUINE_TEXT.replace("four", "five"))
    c = minhash.signature(FAKE_TEXT)

    assert minhash.similarity(a, a) == 1.0
    assert minhash.similarity(a, b) > 0.7
    assert minhash.similarity(a, c) < 0.2
    assert set(minhash.bands(a)) & set(minhash.bands(b))
    assert not set(minhash.bands(a)) & set(minhash.bands(c))
    assert minhash.signature("  !!! ") == []
    assert minhash.signature("Great product, works as described!") == []  # too short to call a copy
