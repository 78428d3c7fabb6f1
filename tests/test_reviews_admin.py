"""Staff moderate held reviews in the admin: score, what drove it, bulk decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.reviews import services
from shop.reviews.models import FraudModel, FraudPolicy, Review, ReviewStatus
from tests.factories import ProductFactory
from tests.factories_reviews import (
    DISTINCT_GENUINE_TEXTS,
    GENUINE_TEXT,
    customer,
    fraud_model,  # noqa: F401 (fixture)
    model_dir,  # noqa: F401 (fixture)
    synthetic_model_file,  # noqa: F401 (fixture)
    write,
)

pytestmark = pytest.mark.django_db
QUEUE = "/admin/reviews/moderationitem/"


def held_duplicates(product_id: int, count: int) -> list[Review]:
    """Copies of one text from several accounts: the gate holds the copies."""
    original = write(customer(), ProductFactory().id, rating=4)
    services.run_fraud_gate(original.review_id, 1)
    held = []
    for n in range(count):
        review = write(customer(), product_id, rating=5, body=GENUINE_TEXT + f" Copy {n}.")
        services.run_fraud_gate(review.review_id, 1)
        held.append(Review.objects.get(id=review.review_id))
    assert all(review.status == ReviewStatus.HELD for review in held)
    return held


@pytest.mark.usefixtures("fraud_model")
def test_the_queue_lists_held_reviews_with_their_scores(admin_client):
    held = held_duplicates(ProductFactory().id, 2)
    published = write(customer(), ProductFactory().id, title="Fine one", body=DISTINCT_GENUINE_TEXTS[0])
    services.run_fraud_gate(published.review_id, 1)

    html = admin_client.get(QUEUE).content.decode()

    assert html.count(f"{held[0].fraud_score:.3f}") >= 1
    assert "Fine one" not in html


@pytest.mark.usefixtures("fraud_model")
def test_a_held_review_shows_the_signals_and_ngrams_that_drove_its_score(admin_client):
    review = held_duplicates(ProductFactory().id, 1)[0]
    Review.objects.filter(id=review.id).update(title="<script>x</script>")

    html = admin_client.get(f"{QUEUE}{review.id}/change/").content.decode()

    assert "near_duplicate" in html
    assert "adds to log-odds" in html
    assert review.fraud_signals["top_ngrams"][0][0] in html
    assert "<script>x</script>" not in html


@pytest.mark.usefixtures("fraud_model")
def test_staff_approve_held_reviews_in_bulk_and_the_rating_follows(admin_client):
    product = ProductFactory()
    held = held_duplicates(product.id, 3)

    response = admin_client.post(
        QUEUE, {"action": "approve", "_selected_action": [r.id for r in held[:2]], "reason": "checked by hand"}
    )

    assert response.status_code == 302
    statuses = dict(Review.objects.filter(id__in=[r.id for r in held]).values_list("id", "status"))
    assert statuses == {held[0].id: "published", held[1].id: "published", held[2].id: "held"}
    approved = Review.objects.get(id=held[0].id)
    assert approved.decided_by.startswith("staff:")
    assert approved.decision_reason == "checked by hand"
    assert services.rating_summary(product.id).count == 2
    assert services.rating_summary(product.id).average == Decimal("5.00")


@pytest.mark.usefixtures("fraud_model")
def test_staff_reject_in_bulk_with_a_reason_kept_for_staff(admin_client):
    held = held_duplicates(ProductFactory().id, 2)

    admin_client.post(QUEUE, {"action": "reject", "_selected_action": [r.id for r in held], "reason": "copy ring"})

    assert set(Review.objects.filter(id__in=[r.id for r in held]).values_list("status", "decision_reason")) == {
        ("rejected", "copy ring")
    }
    assert services.get_review(held[0].id, viewer_id=held[0].user_id).status == "rejected"
    assert admin_client.get(QUEUE).content.decode().count("copy ring") == 0


def test_staff_cannot_delete_reviews_or_add_a_second_policy(admin_client):
    review = write(customer(), ProductFactory().id)
    FraudPolicy.objects.create()

    assert admin_client.post(f"/admin/reviews/review/{review.review_id}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/reviews/fraudpolicy/add/").status_code == 403
    assert Review.objects.exists()


def test_staff_edit_the_thresholds_in_the_policy_table(admin_client):
    policy = FraudPolicy.objects.create()
    form = {field.name: getattr(policy, field.name) for field in FraudPolicy._meta.fields if field.editable}
    form.pop("id", None)

    response = admin_client.post(
        f"/admin/reviews/fraudpolicy/{policy.id}/change/", {**form, "hold_threshold": 0.5, "reject_threshold": 0.9}
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.hold_threshold, policy.reject_threshold) == (0.5, 0.9)


def test_staff_make_an_earlier_model_version_current(admin_client, fraud_model, model_dir):  # noqa: F811
    older = FraudModel.objects.create(version="older", sha256="0" * 64, trained_on="x", train_rows=1)
    (model_dir / "older.joblib").write_bytes(b"x")

    admin_client.post("/admin/reviews/fraudmodel/", {"action": "make_current", "_selected_action": [older.id]})

    assert FraudModel.objects.get(is_current=True).version == "older"
