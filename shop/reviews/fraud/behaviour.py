"""The reviewer's behaviour around one review, each signal scaled to 0..1.

Every query is an index lookup bounded by a time window or a LIMIT, so scoring
costs the same on a store with ten reviews or a hundred million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from shop.accounts import services as accounts
from shop.reviews.fraud import minhash
from shop.reviews.models import FraudPolicy, RatingSummary, Review

NEAR_DUPLICATE_CANDIDATES = 50
BURST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Behaviour:
    account_age_days: float | None
    reviews_last_day: int
    verified_purchase: bool
    product_mean: float | None  # of published reviews, when there are enough of them
    rating_deviation: float
    near_duplicate: float
    near_duplicate_of: int | None  # the other account's review
    product_burst: int

    def signals(self, policy: FraudPolicy) -> dict[str, float]:
        """Each signal in 0..1; the policy's weights turn them into log-odds."""
        age = self.account_age_days
        new_account = 1.0 if age is None else max(0.0, 1.0 - age / max(policy.new_account_days, 1))
        return {
            "new_account": round(new_account, 4),
            "reviews_last_day": round(min(self.reviews_last_day / max(policy.reviews_last_day_cap, 1), 1.0), 4),
            "unverified": 0.0 if self.verified_purchase else 1.0,
            "rating_deviation": round(self.rating_deviation, 4),
            "near_duplicate": round(self.near_duplicate, 4),
            "product_burst": round(min(self.product_burst / max(policy.burst_cap, 1), 1.0), 4),
        }


def observe(review: Review, policy: FraudPolicy) -> Behaviour:
    now = timezone.now()
    joined = accounts.get_date_joined(review.user_id)
    others = Review.objects.exclude(id=review.id)
    reviews_last_day = others.filter(user_id=review.user_id, created_at__gte=now - timedelta(days=1)).count()
    product_burst = (
        others.filter(product_id=review.product_id, created_at__gte=now - BURST_WINDOW)
        .exclude(user_id=review.user_id)
        .count()
    )
    summary = RatingSummary.objects.filter(product_id=review.product_id).first()
    product_mean = None
    if summary is not None and summary.count >= policy.rating_deviation_min_reviews:
        product_mean = float(summary.average)
    deviation = abs(review.rating - product_mean) / 4.0 if product_mean is not None else 0.0
    duplicate, duplicate_of = _nearest_duplicate(review, now - timedelta(days=policy.near_duplicate_days))
    return Behaviour(
        account_age_days=(now - joined).total_seconds() / 86400 if joined else None,
        reviews_last_day=reviews_last_day,
        verified_purchase=review.verified_purchase,
        product_mean=product_mean,
        rating_deviation=deviation,
        near_duplicate=duplicate,
        near_duplicate_of=duplicate_of,
        product_burst=product_burst,
    )


def _nearest_duplicate(review: Review, since: datetime) -> tuple[float, int | None]:
    """The most similar recent review by another account, among those sharing an LSH band."""
    if not review.lsh_bands:
        return 0.0, None
    candidates = (
        Review.objects.filter(lsh_bands__overlap=review.lsh_bands, created_at__gte=since)
        .exclude(user_id=review.user_id)
        .values_list("id", "minhash")[:NEAR_DUPLICATE_CANDIDATES]
    )
    best, best_id = 0.0, None
    for candidate_id, signature in candidates:
        similarity = minhash.similarity(review.minhash, signature)
        if similarity > best:
            best, best_id = similarity, candidate_id
    return best, best_id
