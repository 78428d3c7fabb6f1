"""Events the reviews domain publishes. Consumers re-read current state through
``shop.reviews.services`` (e.g. ``rating_summary``) rather than trusting payload order."""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class ReviewSubmitted(Event):
    """A review was written or edited (``revision`` > 1) and awaits the fraud gate."""

    event_type = "reviews.ReviewSubmitted"
    review_id: int
    product_id: int
    user_id: int
    revision: int


@dataclass(frozen=True)
class ReviewDecided(Event):
    """The gate or a moderator decided: ``status`` is published, held or rejected."""

    event_type = "reviews.ReviewDecided"
    review_id: int
    product_id: int
    user_id: int
    status: str
    decided_by: str


@dataclass(frozen=True)
class ReviewDeleted(Event):
    event_type = "reviews.ReviewDeleted"
    review_id: int
    product_id: int
    user_id: int


@dataclass(frozen=True)
class ProductRatingChanged(Event):
    """The aggregates of a product's published reviews changed."""

    event_type = "reviews.ProductRatingChanged"
    product_id: int
    rating_avg: Decimal
    rating_count: int
