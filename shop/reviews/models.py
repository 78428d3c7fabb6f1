"""Reviews, helpful votes, per-product rating summaries, and the fraud gate's data.

Products and customers belong to other domains: they are referenced by id only.
A review is public only once ``status`` is ``published``; until then the fraud
gate (``shop.reviews.fraud``) or a moderator decides.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

PUBLISHED = models.Q(status="published")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending (being scored)"
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for moderation"
    REJECTED = "rejected", "Rejected"


class Review(models.Model):
    user_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    author_name = models.CharField(max_length=100, help_text="Shown with the review; copied when written.")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    verified_purchase = models.BooleanField(default=False)
    helpful_count = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(
        default=1, help_text="Bumped by every edit; a scoring task for an older revision does nothing."
    )
    fraud_score = models.FloatField(null=True, blank=True)
    text_score = models.FloatField(null=True, blank=True, help_text="The text model's probability alone.")
    fraud_signals = models.JSONField(default=dict, blank=True, help_text="What drove the score (for staff).")
    model_version = models.CharField(max_length=64, blank=True)
    decided_by = models.CharField(max_length=40, blank=True, help_text='"model", "no-model" or "staff:<id>".')
    decision_reason = models.CharField(max_length=500, blank=True, help_text="For staff; never shown to customers.")
    minhash = ArrayField(models.BigIntegerField(), default=list, blank=True)
    lsh_bands = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(help_text="When this revision was submitted (created or last edited).")
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "product_id"], name="review_one_per_customer_product"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(
                fields=["product_id", "-helpful_count", "-id"], condition=PUBLISHED, name="review_pub_helpful_idx"
            ),
            models.Index(
                fields=["product_id", "-created_at", "-id"], condition=PUBLISHED, name="review_pub_newest_idx"
            ),
            models.Index(fields=["product_id", "-rating", "-id"], condition=PUBLISHED, name="review_pub_rating_idx"),
            models.Index(fields=["user_id", "-created_at", "-id"], name="review_user_recent_idx"),
            models.Index(fields=["product_id", "created_at"], name="review_product_recent_idx"),
            models.Index(
                fields=["status", "submitted_at"],
                condition=models.Q(status__in=["pending", "held"]),
                name="review_undecided_idx",
            ),
            GinIndex(fields=["lsh_bands"], name="review_lsh_bands_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.rating}★, product {self.product_id})"


class ModerationItem(Review):
    """The admin's moderation queue: held reviews (a proxy, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "held review"
        verbose_name_plural = "moderation queue (held reviews)"


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    user_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "user_id"], name="helpful_vote_once")]

    def __str__(self) -> str:
        return f"user {self.user_id} on review {self.review_id}"


class RatingSummary(models.Model):
    """Aggregates of a product's published reviews, recomputed whenever one changes."""

    product_id = models.BigIntegerField(primary_key=True)
    count = models.PositiveIntegerField(default=0)
    average = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    count_1 = models.PositiveIntegerField(default=0)
    count_2 = models.PositiveIntegerField(default=0)
    count_3 = models.PositiveIntegerField(default=0)
    count_4 = models.PositiveIntegerField(default=0)
    count_5 = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rating summaries"

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.average} ({self.count})"


class FraudPolicy(models.Model):
    """How the gate turns a model score and behaviour signals into a decision.

    One row, edited by staff in the admin. The final score is
    ``sigmoid(bias + text_weight * logit(text probability) + sum(weight * signal))``
    where each signal is scaled to 0..1, so a weight is the most that signal can
    add to the log-odds.
    """

    hold_threshold = models.FloatField(default=0.7, help_text="Scores at or above this are held for moderation.")
    reject_threshold = models.FloatField(default=0.95, help_text="Scores at or above this are rejected.")
    bias = models.FloatField(default=0.0)
    text_weight = models.FloatField(default=1.0, help_text="Multiplies the text model's log-odds.")
    new_account_weight = models.FloatField(default=0.8, help_text="Account younger than new_account_days.")
    new_account_days = models.PositiveIntegerField(default=30)
    reviews_last_day_weight = models.FloatField(default=2.0, help_text="Reviews by the same customer in 24 h.")
    reviews_last_day_cap = models.PositiveIntegerField(default=10, help_text="This many or more is the full weight.")
    unverified_weight = models.FloatField(default=0.4, help_text="Not a verified purchase.")
    rating_deviation_weight = models.FloatField(default=1.0, help_text="Distance from the product's mean rating.")
    rating_deviation_min_reviews = models.PositiveIntegerField(default=3)
    near_duplicate_weight = models.FloatField(default=5.0, help_text="Same text as another account's recent review.")
    near_duplicate_days = models.PositiveIntegerField(default=30)
    burst_weight = models.FloatField(default=1.5, help_text="Many reviews of the same product within the hour.")
    burst_cap = models.PositiveIntegerField(default=20, help_text="This many others in the hour is the full weight.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fraud policy"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hold_threshold__gt=0, hold_threshold__lte=models.F("reject_threshold"))
                & models.Q(reject_threshold__lte=1),
                name="fraud_policy_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"hold ≥ {self.hold_threshold}, reject ≥ {self.reject_threshold}"


class FraudModel(models.Model):
    """A trained text model version; its file lives in ``REVIEWS_FRAUD_MODEL_DIR``."""

    version = models.CharField(max_length=64, unique=True)
    sha256 = models.CharField(max_length=64)
    is_current = models.BooleanField(default=False)
    trained_on = models.CharField(max_length=200)
    train_rows = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_model"
            )
        ]

    def __str__(self) -> str:
        return self.version + (" (current)" if self.is_current else "")
