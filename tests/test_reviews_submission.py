"""Writing, editing and deleting reviews: rules, bad input, and the one-review-per-product race."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shop.core.models import OutboxEvent
from shop.reviews import services
from shop.reviews.events import ReviewSubmitted
from shop.reviews.models import Review, ReviewStatus
from tests.factories import ProductFactory
from tests.factories_orders import place_order
from tests.factories_reviews import GENUINE_TEXT, customer, write

pytestmark = pytest.mark.django_db


def test_a_new_review_is_pending_until_the_fraud_gate_runs_after_commit(django_capture_on_commit_callbacks):
    product = ProductFactory()
    user = customer()

    with django_capture_on_commit_callbacks() as callbacks:
        review = write(user, product.id, rating=5, title="  Great bag  ")

    assert review.status == "pending"
    assert review.title == "Great bag"
    assert Review.objects.get().status == ReviewStatus.PENDING
    assert OutboxEvent.objects.filter(event_type=ReviewSubmitted.event_type).count() == 1
    for callback in callbacks:
        callback()
    assert Review.objects.get().status != ReviewStatus.PENDING  # decided (held: no model in this test)


def test_verified_purchase_is_set_when_the_orders_service_says_so():
    product, other = ProductFactory(), ProductFactory()
    user = customer()
    place_order(user_id=user.id, lines=[(product.id, product.skus.first().id, 1)])

    assert write(user, product.id).verified_purchase is True
    assert write(user, other.id).verified_purchase is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"rating": True}, "rating"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "\n \t"}, "body"),
        ({"body": "x" * 50_000}, "body"),
        ({"body": "null \x00 byte"}, "body"),
    ],
)
def test_bad_content_is_refused_with_the_field_named_and_nothing_stored(changes, field):
    product = ProductFactory()
    data = {"rating": 4, "title": "Fine", "body": GENUINE_TEXT, **changes}

    with pytest.raises(services.InvalidReview) as error:
        services.submit_review(user_id=customer().id, product_id=product.id, author_name="A", **data)

    assert field in error.value.fields
    assert not Review.objects.exists()


def test_the_longest_allowed_body_is_accepted():
    review = write(customer(), ProductFactory().id, body="x" * services.BODY_MAX_LENGTH)

    assert len(review.body) == services.BODY_MAX_LENGTH


def test_reviewing_a_product_that_does_not_exist_is_refused():
    with pytest.raises(services.UnknownProduct):
        write(customer(), 987654321)

    assert not Review.objects.exists()


def test_a_second_review_of_the_same_product_is_refused():
    product = ProductFactory()
    user = customer()
    write(user, product.id)

    with pytest.raises(services.DuplicateReview):
        write(user, product.id, title="Again")

    assert Review.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_reviews_by_one_customer_of_one_product_store_exactly_one():
    product = ProductFactory()
    user = customer()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            write(user, product.id, title=f"Attempt {n}")
            outcomes.append("created")
        except services.DuplicateReview:
            outcomes.append("duplicate")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "duplicate", "duplicate", "duplicate"]
    assert Review.objects.filter(user_id=user.id, product_id=product.id).count() == 1


def test_html_is_stored_as_written_and_never_trusted():
    review = write(customer(), ProductFactory().id, title="<b>bold</b>", body="<script>alert(1)</script> nice")

    assert review.body == "<script>alert(1)</script> nice"  # escaping is the output's job (tested on the pages)


def test_an_edit_by_the_author_goes_back_to_pending_with_a_new_revision():
    product = ProductFactory()
    user = customer()
    review = write(user, product.id)
    Review.objects.filter(id=review.review_id).update(status=ReviewStatus.PUBLISHED)

    edited = services.edit_review(review_id=review.review_id, user_id=user.id, rating=2)

    assert edited.status == "pending"
    assert edited.rating == 2
    assert edited.title == "Solid"  # fields not given are kept
    assert edited.edited is True
    assert Review.objects.get().revision == 2


def test_an_edit_that_changes_nothing_keeps_the_review_as_it_is():
    user = customer()
    review = write(user, ProductFactory().id)
    Review.objects.filter(id=review.review_id).update(status=ReviewStatus.PUBLISHED)

    unchanged = services.edit_review(review_id=review.review_id, user_id=user.id, title="Solid")

    assert unchanged.status == "published"
    assert Review.objects.get().revision == 1


def test_only_the_author_can_edit_or_delete_a_review():
    review = write(customer(), ProductFactory().id)
    stranger = customer()

    with pytest.raises(services.ReviewNotFound):
        services.edit_review(review_id=review.review_id, user_id=stranger.id, rating=1)
    with pytest.raises(services.ReviewNotFound):
        services.delete_review(review_id=review.review_id, user_id=stranger.id)

    assert Review.objects.get().rating == 4


def test_an_invalid_edit_changes_nothing():
    user = customer()
    review = write(user, ProductFactory().id)

    with pytest.raises(services.InvalidReview):
        services.edit_review(review_id=review.review_id, user_id=user.id, body="x" * 50_000)

    stored = Review.objects.get()
    assert (stored.body, stored.revision) == (GENUINE_TEXT, 1)


def test_the_author_can_delete_and_then_review_again():
    user = customer()
    product = ProductFactory()
    review = write(user, product.id)

    services.delete_review(review_id=review.review_id, user_id=user.id)
    again = write(user, product.id, title="Second thoughts")

    assert Review.objects.get().id == again.review_id


def test_the_display_name_never_shows_an_email_address():
    assert services.display_name(customer(username="asha@example.com")) == "asha"
    assert services.display_name(customer(first_name="Asha", last_name="Rao")) == "Asha R."
    assert services.display_name(customer(first_name="Asha")) == "Asha"
