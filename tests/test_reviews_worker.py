"""With a real Celery worker: posting answers at once with "pending"; the gate decides
in the worker, and a moderator's decision reaches the catalog through the outbox."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shop.catalog.models import Product
from shop.reviews import services
from shop.reviews.models import Review, ReviewStatus
from tests.conftest import wait_until
from tests.factories import ProductFactory
from tests.factories_reviews import GENUINE_TEXT, customer

pytestmark = pytest.mark.worker


def test_the_gate_runs_in_the_worker_and_the_rating_reaches_the_catalog(celery_worker):
    product = ProductFactory()
    client = APIClient()
    client.force_authenticate(customer())

    response = client.post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 4, "title": "Good", "body": GENUINE_TEXT}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    review = wait_until(
        lambda: Review.objects.exclude(status=ReviewStatus.PENDING).first(), message="the worker's decision"
    )
    assert (review.status, review.decided_by) == (ReviewStatus.HELD, "no-model")  # no model in the test database

    services.moderate([review.id], approve=True, staff_id=1)

    wait_until(lambda: Product.objects.filter(id=product.id, rating_count=1).exists(), message="the catalog's rating")
    assert Product.objects.get(id=product.id).rating_avg == 4
