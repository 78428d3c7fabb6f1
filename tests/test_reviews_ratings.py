"""Rating aggregates come from published reviews only and are projected onto the catalog by events."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from shop.core.models import OutboxEvent
from shop.core.tasks import relay_outbox
from shop.reviews import services
from shop.reviews.events import ProductRatingChanged
from shop.reviews.models import RatingSummary, Review, ReviewStatus
from tests.factories import ProductFactory
from tests.factories_reviews import DISTINCT_GENUINE_TEXTS, customer, write

pytestmark = pytest.mark.django_db


def publish(review_id: int) -> None:
    services.moderate([review_id], approve=True, staff_id=1)


def test_the_summary_counts_published_reviews_only():
    product = ProductFactory()
    for rating, text in zip([5, 5, 4, 1], DISTINCT_GENUINE_TEXTS, strict=False):
        publish(write(customer(), product.id, rating=rating, body=text).review_id)
    write(customer(), product.id, rating=1, body=DISTINCT_GENUINE_TEXTS[4])  # pending: not counted
    held = write(customer(), product.id, rating=1, body=DISTINCT_GENUINE_TEXTS[5])
    services.moderate([held.review_id], approve=False, staff_id=1)

    summary = services.rating_summary(product.id)

    assert summary.count == 4
    assert summary.average == Decimal("3.75")
    assert summary.histogram == {1: 1, 2: 0, 3: 0, 4: 1, 5: 2}
    assert summary.percentages() == {1: 25, 2: 0, 3: 0, 4: 25, 5: 50}


def test_a_product_without_reviews_has_an_empty_summary():
    summary = services.rating_summary(ProductFactory().id)

    assert (summary.count, summary.average, sum(summary.histogram.values())) == (0, Decimal(0), 0)


def test_the_catalog_product_gets_the_average_and_count_through_the_event():
    product = ProductFactory()
    first = write(customer(), product.id, rating=5, body=DISTINCT_GENUINE_TEXTS[0])
    second = write(customer(), product.id, rating=2, body=DISTINCT_GENUINE_TEXTS[1])

    services.moderate([first.review_id, second.review_id], approve=True, staff_id=1)
    relay_outbox.apply()

    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("3.50"), 2)
    assert OutboxEvent.objects.filter(event_type=ProductRatingChanged.event_type).count() == 1


def test_deleting_or_editing_a_published_review_updates_the_summary_and_the_catalog():
    product = ProductFactory()
    author, other = customer(), customer()
    mine = write(author, product.id, rating=1, body=DISTINCT_GENUINE_TEXTS[0])
    theirs = write(other, product.id, rating=5, body=DISTINCT_GENUINE_TEXTS[1])
    publish(mine.review_id)
    publish(theirs.review_id)

    services.edit_review(review_id=mine.review_id, user_id=author.id, rating=3)  # pending again: out
    relay_outbox.apply()
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("5.00"), 1)

    services.delete_review(review_id=theirs.review_id, user_id=other.id)
    relay_outbox.apply()
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("0.00"), 0)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_publications_on_one_product_are_all_counted():
    product = ProductFactory()
    reviews = [write(customer(), product.id, rating=r, body=DISTINCT_GENUINE_TEXTS[r]) for r in range(1, 6)]
    barrier = threading.Barrier(len(reviews))

    def approve(review_id: int) -> None:
        try:
            barrier.wait()
            publish(review_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(r.review_id,)) for r in reviews]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    summary = RatingSummary.objects.get(product_id=product.id)
    assert (summary.count, summary.average) == (5, Decimal("3.00"))
    assert Review.objects.filter(status=ReviewStatus.PUBLISHED).count() == 5
    product.refresh_from_db()
    assert (product.rating_avg, product.rating_count) == (Decimal("3.00"), 5)
