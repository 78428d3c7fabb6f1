"""Search's own tables: the denormalized search document (a read model fed by
catalog events), the dictionaries built from it (spelling vocabulary,
autocomplete suggestions), the behaviour log that learning-to-rank trains on,
and the staff-editable rules (price ranges, ranking models).

Nothing here has a foreign key into another domain: ``product_id`` and
``category_id`` are plain integers owned by the catalog.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower

from shop.search.behaviour_math import PRIOR_CONVERSION, PRIOR_CTR

SEARCH_CONFIG = "english"


class SearchDocument(models.Model):
    """One product as search sees it: text, facet values and behaviour signals.

    ``search_vector`` and ``name_vector`` are generated columns, so PostgreSQL
    keeps them in step with the text on every write (no trigger, no second pass).
    Weights: name and brand A, category B, attribute values C, description D.
    """

    product_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=500)
    slug = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=200, blank=True)
    category_id = models.BigIntegerField(db_index=True)
    category_path = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    # "A", "A > B", "A > B > C" (joined by CATEGORY_SEPARATOR): one entry per level, so a subtree filter
    # is one array containment.
    category_keys = ArrayField(models.TextField(), default=list, blank=True)
    category_text = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    attributes_text = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    list_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    fast_delivery = models.BooleanField(default=False)
    availability = models.CharField(max_length=20)
    in_stock = models.BooleanField(default=True)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    source_updated_at = models.DateTimeField()
    indexed_at = models.DateTimeField()
    # Behaviour, copied from ProductSignal by the log processor (smoothed, see shop.search.behaviour_math).
    ctr = models.FloatField(default=PRIOR_CTR)
    conversion_rate = models.FloatField(default=PRIOR_CONVERSION)
    popularity = models.FloatField(default=0)
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("brand", weight="A", config=SEARCH_CONFIG)
        + SearchVector("category_text", weight="B", config=SEARCH_CONFIG)
        + SearchVector("attributes_text", weight="C", config=SEARCH_CONFIG)
        + SearchVector("description", weight="D", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    name_vector = models.GeneratedField(
        expression=SearchVector("name", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="search_doc_vector_gin"),
            GinIndex(OpClass(Lower("name"), name="gin_trgm_ops"), name="search_doc_name_trgm"),
            GinIndex(fields=["category_keys"], name="search_doc_category_gin"),
            GinIndex(fields=["attributes"], name="search_doc_attributes_gin", opclasses=["jsonb_path_ops"]),
            models.Index(fields=["price", "product_id"], name="search_doc_price_idx"),
            models.Index(fields=["-rating_avg", "product_id"], name="search_doc_rating_idx"),
            models.Index(fields=["-created_at", "product_id"], name="search_doc_newest_idx"),
            models.Index(fields=["brand"], name="search_doc_brand_idx"),
            models.Index(fields=["indexed_at"], name="search_doc_indexed_at_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SearchTerm(models.Model):
    """A word of the catalog's own vocabulary with its document frequency: the
    dictionary spelling correction draws from (trigram-indexed)."""

    term = models.CharField(max_length=60, primary_key=True)
    doc_freq = models.PositiveIntegerField()

    class Meta:
        # On lower(term), not term: an index on the column itself would be picked for plain
        # "term = x" lookups too, where the primary key is a hundred times faster.
        indexes = [GinIndex(OpClass(Lower("term"), name="gin_trgm_ops"), name="search_term_lower_trgm")]

    def __str__(self) -> str:
        return self.term


class Suggestion(models.Model):
    """An autocomplete entry: a popular past query, a category, a brand or a product name."""

    class Kind(models.TextChoices):
        QUERY = "query", "Popular search"
        CATEGORY = "category", "Category"
        BRAND = "brand", "Brand"
        PRODUCT = "product", "Product"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    normalized = models.CharField(max_length=300)
    weight = models.FloatField(default=0)
    params = models.JSONField(default=dict, blank=True)
    words = models.GeneratedField(
        expression=SearchVector("normalized", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            GinIndex(fields=["words"], name="search_suggestion_words_gin"),
            models.Index(fields=["normalized"], name="search_suggestion_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


class SearchQueryLog(models.Model):
    """One search as served: what was asked and which products were shown, in order.

    Written by the request (one INSERT); ``processed_at`` is stamped by the log
    processor, which counts impressions and logs the shown products' ranking
    features for learning-to-rank.
    """

    id = models.BigAutoField(primary_key=True)
    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    query = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200)
    effective_query = models.CharField(max_length=200, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    sort = models.CharField(max_length=20)
    page = models.PositiveIntegerField(default=1)
    result_count = models.PositiveIntegerField(default=0)
    product_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    features = models.JSONField(null=True, blank=True)
    feature_version = models.PositiveSmallIntegerField(null=True, blank=True)
    ranker_version = models.PositiveIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    session_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="search_log_pending_idx", condition=Q(processed_at__isnull=True)),
            models.Index(fields=["created_at"], name="search_log_created_idx"),
            models.Index(fields=["user_id", "-created_at"], name="search_log_user_idx"),
            models.Index(fields=["session_hash", "-created_at"], name="search_log_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.query!r} ({self.result_count})"


class SearchInteraction(models.Model):
    """A click, add-to-cart or purchase of a product, tied to the search that led to it when known."""

    class Kind(models.TextChoices):
        CLICK = "click", "Click"
        CART = "cart", "Add to cart"
        PURCHASE = "purchase", "Purchase"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    product_id = models.BigIntegerField()
    query_log_id = models.BigIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="search_inter_pending_idx", condition=Q(processed_at__isnull=True)),
            models.Index(fields=["query_log_id"], name="search_inter_query_idx"),
            models.Index(fields=["created_at"], name="search_inter_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}"


class ProductSignal(models.Model):
    """Running behaviour counters per product (the source of the document's ctr/conversion/popularity)."""

    product_id = models.BigIntegerField(primary_key=True)
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    add_to_carts = models.BigIntegerField(default=0)
    purchases = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.product_id}: {self.clicks}/{self.impressions}"


class SearchQueryStat(models.Model):
    """How often a normalized query was searched, feeding "popular searches" suggestions."""

    normalized = models.CharField(max_length=200, primary_key=True)
    searches = models.PositiveIntegerField(default=0)
    last_result_count = models.PositiveIntegerField(default=0)
    last_searched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.normalized


class PriceRange(models.Model):
    """A price facet bucket, editable by staff: [min_price, max_price) in ``currency``; either end open."""

    currency = models.CharField(max_length=3)
    min_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["currency", "position", "min_price"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_price__isnull=True) | Q(max_price__isnull=True) | Q(min_price__lt=F("max_price")),
                name="search_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(min_price__isnull=True) | Q(min_price__gte=Value(0)), name="search_price_range_min_ge0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.min_price or 0}-{self.max_price or '∞'}"


class RankerModel(models.Model):
    """A trained learning-to-rank model: a versioned LightGBM file plus what it was trained on.

    At most one is active; with none (or an unreadable file) search ranks by the base score.
    """

    version = models.PositiveIntegerField(unique=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    feature_version = models.PositiveSmallIntegerField()
    feature_names = models.JSONField(default=list)
    source = models.CharField(max_length=40, help_text="What the labels came from: logs or judgments.")
    training_queries = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="search_one_active_ranker")
        ]

    def __str__(self) -> str:
        return f"ranker v{self.version}{' (active)' if self.is_active else ''}"
