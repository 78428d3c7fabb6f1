"""Tables of the recommendations domain: the interaction log, model versions, and rules staff edit."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Interaction(models.Model):
    """One signal that a visitor cares about a product: a view, an add-to-cart or a purchase.

    Append-only (nothing updates a row; old rows are pruned in chunks by age);
    training reads a time window in bounded batches along the
    ``(occurred_at, id)`` index. A visitor is a customer (``user_id``) or, for guests, an
    opaque session id; a signed-in visitor's rows carry both.
    """

    class Kind(models.IntegerChoices):
        VIEW = 1, "view"
        ADD_TO_CART = 2, "add to cart"
        PURCHASE = 3, "purchase"

    id = models.BigAutoField(primary_key=True)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    product_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    session_id = models.CharField(max_length=64, blank=True, default="")
    quantity = models.PositiveIntegerField(default=1)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Training and refills page through a time window on it (keyset on both
            # columns); pruning finds the oldest rows on it.
            models.Index(fields=["occurred_at", "id"], name="recs_interaction_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user_id__isnull=False) | ~models.Q(session_id=""),
                name="recs_interaction_has_visitor",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"session {self.session_id[:8]}"
        return f"{self.get_kind_display()} of product {self.product_id} by {who}"


class ModelVersion(models.Model):
    """One training run's output. Its lists live in ``RecList`` so Redis can be refilled
    without retraining; exactly one version is active (the one Redis should serve)."""

    class Status(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        ACTIVE = "active"
        RETIRED = "retired"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    data_from = models.DateTimeField(null=True, blank=True)
    data_until = models.DateTimeField(null=True, blank=True, help_text="Interactions up to this time were used.")
    params = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="recs_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"model v{self.pk} ({self.status})"


class RecList(models.Model):
    """A precomputed top-N list of product ids: per customer, per product, per category, or overall."""

    class Kind(models.TextChoices):
        USER = "user", "recommended for a customer"
        ITEM = "item", "bought together with a product"
        CATEGORY = "cat", "popular in a category"
        POPULAR = "pop", "popular overall"

    id = models.BigAutoField(primary_key=True)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="lists")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    key = models.BigIntegerField(help_text="Customer, product or category id; 0 for the overall list.")
    items = ArrayField(models.BigIntegerField())

    class Meta:
        constraints = [
            # Also the index refills read by, in key order per kind.
            models.UniqueConstraint(fields=["version", "kind", "key"], name="recs_list_once"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.kind} {self.key}"


class ConsumableCategory(models.Model):
    """Products in this category or below are bought again and again (coffee, nappies):
    buying one does not remove it from the customer's recommendations."""

    category_id = models.BigIntegerField(unique=True, help_text="A catalog category id; its subcategories count too.")
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "consumable categories"

    def __str__(self) -> str:
        return f"category {self.category_id}" + (f" ({self.note})" if self.note else "")
