"""Helpful votes: one per customer per published review, never on one's own."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shop.reviews import services
from shop.reviews.models import HelpfulVote, Review
from tests.factories import ProductFactory
from tests.factories_reviews import customer, write

pytestmark = pytest.mark.django_db


def published_review(author=None):
    review = write(author or customer(), ProductFactory().id)
    services.moderate([review.review_id], approve=True, staff_id=1)
    return review


def test_a_customer_marks_a_review_helpful_once():
    review = published_review()
    voter = customer()

    assert services.vote_helpful(review_id=review.review_id, user_id=voter.id).helpful_count == 1
    with pytest.raises(services.AlreadyVoted):
        services.vote_helpful(review_id=review.review_id, user_id=voter.id)

    assert Review.objects.get().helpful_count == 1
    assert services.voted_review_ids(voter.id, [review.review_id]) == {review.review_id}


def test_the_author_cannot_vote_on_their_own_review():
    author = customer()
    review = published_review(author)

    with pytest.raises(services.OwnReview):
        services.vote_helpful(review_id=review.review_id, user_id=author.id)

    assert not HelpfulVote.objects.exists()


def test_a_review_that_is_not_published_cannot_be_voted_on():
    review = write(customer(), ProductFactory().id)

    with pytest.raises(services.ReviewNotFound):
        services.vote_helpful(review_id=review.review_id, user_id=customer().id)


def test_a_vote_can_be_taken_back_once():
    review = published_review()
    voter = customer()
    services.vote_helpful(review_id=review.review_id, user_id=voter.id)

    assert services.unvote_helpful(review_id=review.review_id, user_id=voter.id).helpful_count == 0
    assert services.unvote_helpful(review_id=review.review_id, user_id=voter.id).helpful_count == 0


@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_are_all_counted_and_a_double_click_counts_once():
    review = published_review()
    voters = [customer() for _ in range(4)]
    attempts = [voters[0], *voters]  # the first voter clicks twice at once
    barrier = threading.Barrier(len(attempts))
    refused = []

    def vote(user_id: int) -> None:
        try:
            barrier.wait()
            services.vote_helpful(review_id=review.review_id, user_id=user_id)
        except services.AlreadyVoted:
            refused.append(user_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(user.id,)) for user in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert refused == [voters[0].id]
    assert Review.objects.get().helpful_count == 4 == HelpfulVote.objects.count()
