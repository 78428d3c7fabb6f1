"""The reviews domain's published interface.

A review goes ``pending`` -> (fraud gate) -> ``published`` | ``held`` | ``rejected``;
a moderator decides held ones. Every change of what is published recomputes the
product's rating summary under a row lock and publishes ``ProductRatingChanged``
in the same transaction, which the catalog projects onto the product.
Customers see ``pending`` for both pending and held reviews, and never the
staff's reason for a rejection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from shop.catalog import services as catalog
from shop.core.errors import DomainError
from shop.core.events import publish
from shop.core.http_cache import bump_version
from shop.core.keyset import KeysetPage, paginate
from shop.orders import services as orders
from shop.reviews.events import ProductRatingChanged, ReviewDecided, ReviewDeleted, ReviewSubmitted
from shop.reviews.fraud import minhash
from shop.reviews.models import HelpfulVote, RatingSummary, Review, ReviewStatus

RATING_MIN, RATING_MAX = 1, 5
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 5000
AUTHOR_NAME_MAX_LENGTH = 100
SORTS: dict[str, list[str]] = {
    "helpful": ["-helpful_count", "-id"],
    "newest": ["-created_at", "-id"],
    "rating_desc": ["-rating", "-id"],
    "rating_asc": ["rating", "id"],
}
SORT_LABELS = {
    "helpful": "Most helpful",
    "newest": "Newest",
    "rating_desc": "Highest rating",
    "rating_asc": "Lowest rating",
}
DEFAULT_SORT = "helpful"
CUSTOMER_STATUS = {
    ReviewStatus.PENDING: "pending",
    ReviewStatus.HELD: "pending",
    ReviewStatus.PUBLISHED: "published",
    ReviewStatus.REJECTED: "rejected",
}


# ---------------------------------------------------------------------------
# Errors: each says what the customer did wrong; the API and pages map them.
# ---------------------------------------------------------------------------


class ReviewError(DomainError):
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields=fields)


class InvalidReview(ReviewError):
    code = "invalid"


class UnknownProduct(ReviewError):
    code = "unknown_product"
    status = 404


class DuplicateReview(ReviewError):
    code = "already_reviewed"
    status = 409


class ReviewNotFound(ReviewError):
    code = "not_found"
    status = 404


class OwnReview(ReviewError):
    code = "own_review"
    status = 403


class AlreadyVoted(ReviewError):
    code = "already_voted"
    status = 409


# ---------------------------------------------------------------------------
# Read side
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInfo:
    review_id: int
    product_id: int
    user_id: int
    author_name: str
    rating: int
    title: str
    body: str
    status: str  # as the customer sees it: "pending", "published" or "rejected"
    verified_purchase: bool
    helpful_count: int
    edited: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RatingSummaryInfo:
    product_id: int
    average: Decimal
    count: int
    histogram: dict[int, int]  # stars -> published reviews, 1..5 all present

    def percentages(self) -> dict[int, int]:
        return {stars: round(100 * n / self.count) if self.count else 0 for stars, n in self.histogram.items()}


def _info(review: Review) -> ReviewInfo:
    return ReviewInfo(
        review_id=review.id,
        product_id=review.product_id,
        user_id=review.user_id,
        author_name=review.author_name,
        rating=review.rating,
        title=review.title,
        body=review.body,
        status=CUSTOMER_STATUS[ReviewStatus(review.status)],
        verified_purchase=review.verified_purchase,
        helpful_count=review.helpful_count,
        edited=review.revision > 1,
        created_at=review.created_at,
        updated_at=review.submitted_at,
    )


_PUBLIC_COLUMNS = [
    "id",
    "product_id",
    "user_id",
    "author_name",
    "rating",
    "title",
    "body",
    "status",
    "verified_purchase",
    "helpful_count",
    "revision",
    "created_at",
    "submitted_at",
]


def product_reviews(
    product_id: int, *, sort: str = DEFAULT_SORT, cursor: str | None = None, size: int = 10
) -> KeysetPage:
    """Published reviews of a product in keyset pages (``InvalidCursor`` on a bad cursor).

    A helpful-count order can shift between pages as votes arrive; a page is
    still never a duplicate of the rows already shown in the same order.
    """
    queryset = Review.objects.filter(product_id=product_id, status=ReviewStatus.PUBLISHED).only(*_PUBLIC_COLUMNS)
    page = paginate(queryset, SORTS[sort], cursor, size)
    return KeysetPage([_info(review) for review in page.items], page.next_cursor, page.previous_cursor)


def user_reviews(user_id: int, *, cursor: str | None = None, size: int = 20) -> KeysetPage:
    """A customer's own reviews in every state, newest first."""
    page = paginate(Review.objects.filter(user_id=user_id).only(*_PUBLIC_COLUMNS), ["-created_at", "-id"], cursor, size)
    return KeysetPage([_info(review) for review in page.items], page.next_cursor, page.previous_cursor)


def get_review(review_id: int, *, viewer_id: int | None = None) -> ReviewInfo | None:
    """A published review, or the viewer's own in any state; else None."""
    review = Review.objects.filter(id=review_id).only(*_PUBLIC_COLUMNS).first()
    if review is None or (review.status != ReviewStatus.PUBLISHED and review.user_id != viewer_id):
        return None
    return _info(review)


def review_of(user_id: int, product_id: int) -> ReviewInfo | None:
    """The customer's review of the product, if they wrote one."""
    review = Review.objects.filter(user_id=user_id, product_id=product_id).only(*_PUBLIC_COLUMNS).first()
    return _info(review) if review else None


def voted_review_ids(user_id: int, review_ids: Iterable[int]) -> set[int]:
    """Which of these reviews the customer already found helpful."""
    ids = list(review_ids)
    if not ids:
        return set()
    return set(HelpfulVote.objects.filter(user_id=user_id, review_id__in=ids).values_list("review_id", flat=True))


def rating_summary(product_id: int) -> RatingSummaryInfo:
    """Average, count and star histogram of the product's published reviews."""
    row = RatingSummary.objects.filter(product_id=product_id).first() or RatingSummary(product_id=product_id)
    return RatingSummaryInfo(
        product_id=product_id,
        average=row.average,
        count=row.count,
        histogram={stars: getattr(row, f"count_{stars}") for stars in range(RATING_MIN, RATING_MAX + 1)},
    )


def cache_generation_name(product_id: int) -> str:
    """Cached reads of a product's reviews embed this generation; changes bump it."""
    return f"reviews:product:{product_id}"


# ---------------------------------------------------------------------------
# Write side: customers
# ---------------------------------------------------------------------------


def validate(rating: Any, title: Any, body: Any) -> dict[str, list[str]]:
    """Field errors for a review's content (empty when it is acceptable)."""
    errors: dict[str, list[str]] = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        errors["rating"] = [f"Choose a rating from {RATING_MIN} to {RATING_MAX} stars."]
    for name, value, limit in (("title", title, TITLE_MAX_LENGTH), ("body", body, BODY_MAX_LENGTH)):
        if not isinstance(value, str) or not value.strip():
            errors[name] = ["This field is required."]
        elif len(value) > limit:
            errors[name] = [f"Keep it to {limit:,} characters (this has {len(value):,})."]
        elif "\x00" in value:
            errors[name] = ["Remove the null characters."]
    return errors


def _clean(rating: Any, title: Any, body: Any) -> tuple[int, str, str]:
    errors = validate(rating, title, body)
    if errors:
        raise InvalidReview(next(iter(errors.values()))[0], errors)
    return rating, title.strip(), body.strip()


def display_name(user: Any) -> str:
    """The name printed under a review: first name and initial, else the user name
    before any "@" (never a whole e-mail address)."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first:
        return f"{first} {last[:1]}." if last else first
    return user.get_username().split("@")[0] or "Customer"


def submit_review(*, user_id: int, product_id: int, rating: Any, title: Any, body: Any, author_name: str) -> ReviewInfo:
    """Record a customer's review as pending and queue it for the fraud gate.

    One review per customer and product, enforced by a unique constraint, so two
    simultaneous submissions store exactly one.
    """
    rating, title, body = _clean(rating, title, body)
    if product_id not in catalog.get_products([product_id]):
        raise UnknownProduct(f"No product with id {product_id}.")
    signature = minhash.signature(f"{title}\n{body}")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                user_id=user_id,
                product_id=product_id,
                author_name=(author_name.strip() or "Customer")[:AUTHOR_NAME_MAX_LENGTH],
                rating=rating,
                title=title,
                body=body,
                verified_purchase=orders.has_purchased(user_id, product_id),
                minhash=signature,
                lsh_bands=minhash.bands(signature),
                submitted_at=timezone.now(),
            )
            _submitted(review)
    except IntegrityError:
        if Review.objects.filter(user_id=user_id, product_id=product_id).exists():
            raise DuplicateReview(
                "You have already reviewed this product; edit your review instead.",
                {"product_id": ["Already reviewed."]},
            ) from None
        raise
    return _info(review)


def edit_review(*, review_id: int, user_id: int, rating: Any = None, title: Any = None, body: Any = None) -> ReviewInfo:
    """Change the author's review (None keeps a field); a changed review goes back through the fraud gate."""
    with transaction.atomic():
        review = _authored(review_id, user_id)
        rating, title, body = _clean(
            review.rating if rating is None else rating,
            review.title if title is None else title,
            review.body if body is None else body,
        )
        if (review.rating, review.title, review.body) == (rating, title, body):
            return _info(review)
        was_published = review.status == ReviewStatus.PUBLISHED
        signature = minhash.signature(f"{title}\n{body}")
        review.rating, review.title, review.body = rating, title, body
        review.minhash, review.lsh_bands = signature, minhash.bands(signature)
        review.verified_purchase = orders.has_purchased(user_id, review.product_id)
        review.revision += 1
        review.status = ReviewStatus.PENDING
        review.fraud_score = review.text_score = None
        review.fraud_signals, review.model_version, review.decided_by, review.decision_reason = {}, "", "", ""
        review.submitted_at, review.decided_at, review.published_at = timezone.now(), None, None
        review.save()
        if was_published:
            _published_set_changed(review.product_id)
        _submitted(review)
    return _info(review)


def delete_review(*, review_id: int, user_id: int) -> None:
    with transaction.atomic():
        review = _authored(review_id, user_id)
        was_published = review.status == ReviewStatus.PUBLISHED
        review.delete()
        publish(ReviewDeleted(review_id=review_id, product_id=review.product_id, user_id=user_id))
        if was_published:
            _published_set_changed(review.product_id)


def vote_helpful(*, review_id: int, user_id: int) -> ReviewInfo:
    """One helpful vote per customer per published review, never on one's own."""
    with transaction.atomic():
        review = _published_for_update(review_id)
        if review.user_id == user_id:
            raise OwnReview("You cannot vote on your own review.")
        try:
            with transaction.atomic():
                HelpfulVote.objects.create(review=review, user_id=user_id)
        except IntegrityError:
            raise AlreadyVoted("You already found this review helpful.") from None
        Review.objects.filter(id=review_id).update(helpful_count=F("helpful_count") + 1)
        _bump_cache_on_commit(review.product_id)
    review.helpful_count += 1
    return _info(review)


def unvote_helpful(*, review_id: int, user_id: int) -> ReviewInfo:
    """Take a helpful vote back (a no-op when there was none)."""
    with transaction.atomic():
        review = _published_for_update(review_id)
        deleted, _ = HelpfulVote.objects.filter(review=review, user_id=user_id).delete()
        if deleted:
            Review.objects.filter(id=review_id).update(helpful_count=F("helpful_count") - 1)
            review.helpful_count -= 1
            _bump_cache_on_commit(review.product_id)
    return _info(review)


def _authored(review_id: int, user_id: int) -> Review:
    """The review under a row lock if ``user_id`` wrote it; someone else's is not found."""
    review = Review.objects.select_for_update().filter(id=review_id, user_id=user_id).first()
    if review is None:
        raise ReviewNotFound(f"You have no review with id {review_id}.")
    return review


def _published_for_update(review_id: int) -> Review:
    review = Review.objects.select_for_update().filter(id=review_id, status=ReviewStatus.PUBLISHED).first()
    if review is None:
        raise ReviewNotFound(f"No published review with id {review_id}.")
    return review


def _submitted(review: Review) -> None:
    from shop.reviews.tasks import score_review

    publish(
        ReviewSubmitted(
            review_id=review.id, product_id=review.product_id, user_id=review.user_id, revision=review.revision
        )
    )
    review_id, revision = review.id, review.revision
    transaction.on_commit(lambda: score_review.delay(review_id, revision))


# ---------------------------------------------------------------------------
# Decisions: the fraud gate and moderators
# ---------------------------------------------------------------------------


def run_fraud_gate(review_id: int, revision: int) -> str | None:
    """Score one revision of a pending review and apply the decision.

    Idempotent: a review already decided, deleted or edited since (another
    revision) is left alone and None returned. Scoring reads happen before the
    row lock, so the lock is held only for the write.
    """
    from shop.reviews.fraud.scoring import assess

    review = Review.objects.filter(id=review_id, revision=revision, status=ReviewStatus.PENDING).first()
    if review is None:
        return None
    assessment = assess(review)
    with transaction.atomic():
        locked = Review.objects.select_for_update().filter(id=review_id).first()
        if locked is None or locked.revision != revision or locked.status != ReviewStatus.PENDING:
            return None
        locked.fraud_score = assessment.score
        locked.text_score = assessment.text_probability
        locked.fraud_signals = assessment.signals
        locked.model_version = assessment.model_version
        _decide(locked, assessment.status, "model" if assessment.model_version else "no-model", assessment.reason)
    return assessment.status


def moderate(review_ids: Iterable[int], *, approve: bool, staff_id: int, reason: str = "") -> int:
    """Publish or reject reviews as a moderator; returns how many changed."""
    target = ReviewStatus.PUBLISHED if approve else ReviewStatus.REJECTED
    with transaction.atomic():
        reviews = list(
            Review.objects.select_for_update().filter(id__in=list(review_ids)).exclude(status=target).order_by("id")
        )
        for review in reviews:
            _decide(review, target, f"staff:{staff_id}", reason[:500], defer_summary=True)
        for product_id in sorted({review.product_id for review in reviews}):
            _published_set_changed(product_id)
    return len(reviews)


def _decide(review: Review, status: str, decided_by: str, reason: str, *, defer_summary: bool = False) -> None:
    """Set a locked review's status; refresh the product's summary when its published set changes."""
    was_published = review.status == ReviewStatus.PUBLISHED
    now = timezone.now()
    review.status, review.decided_by, review.decision_reason, review.decided_at = status, decided_by, reason, now
    if status == ReviewStatus.PUBLISHED and not was_published:
        review.published_at = now
    review.save()
    publish(
        ReviewDecided(
            review_id=review.id,
            product_id=review.product_id,
            user_id=review.user_id,
            status=status,
            decided_by=decided_by,
        )
    )
    if was_published != (status == ReviewStatus.PUBLISHED) and not defer_summary:
        _published_set_changed(review.product_id)


def _published_set_changed(product_id: int) -> None:
    """Recompute the product's summary in the caller's transaction.

    The summary row is locked before counting, so concurrent changes to the same
    product recompute one after the other and the last one counts everything.
    """
    RatingSummary.objects.bulk_create([RatingSummary(product_id=product_id)], ignore_conflicts=True)
    summary = RatingSummary.objects.select_for_update().get(product_id=product_id)
    counts = dict(
        Review.objects.filter(product_id=product_id, status=ReviewStatus.PUBLISHED)
        .values_list("rating")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(counts.values())
    average = Decimal(0)
    if total:
        average = (Decimal(sum(stars * n for stars, n in counts.items())) / total).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    summary.count, summary.average = total, average
    for stars in range(RATING_MIN, RATING_MAX + 1):
        setattr(summary, f"count_{stars}", counts.get(stars, 0))
    summary.save()
    publish(ProductRatingChanged(product_id=product_id, rating_avg=average, rating_count=total))
    _bump_cache_on_commit(product_id)


def _bump_cache_on_commit(product_id: int) -> None:
    transaction.on_commit(lambda: bump_version(cache_generation_name(product_id)))
