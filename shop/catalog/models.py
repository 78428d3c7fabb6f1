"""The catalog's tables: a category tree, brands, products, their SKUs and images.

Other domains never join these tables; they call ``shop.catalog.services``
and keep catalog ids (product id, SKU id) as plain integers.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import models
from treebeard.mp_tree import MP_Node

from shop.catalog import attributes


class Category(MP_Node):
    """A node of the category tree (materialized path: a subtree is one prefix scan).

    ``attribute_schema`` declares the attributes products of this category may
    carry, as a JSON Schema ``{"properties": {...}, "required": [...]}``; a
    product is validated against the merged schemas of its category and every
    ancestor, so "Laptops" inherits "Computers" attributes.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    description = models.TextField(blank=True)
    attribute_schema = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name_plural = "categories"
        # LIKE 'prefix%' on the path (subtree queries) needs a pattern-ops index
        # unless the database collation is C.
        indexes = [models.Index(fields=["path"], name="category_path_like_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        attributes.check_category_schema(self.attribute_schema)


class Brand(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    LOW_STOCK = "low_stock", "Only a few left"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"


class Product(models.Model):
    """A sellable product; what is actually put in a cart is one of its SKUs."""

    external_id = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="Id in the source feed, for idempotent imports."
    )
    name = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    description = models.TextField(blank=True)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    list_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The undiscounted price shown struck through, if any.",
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    fast_delivery = models.BooleanField(default=False, help_text="Eligible for fast (next-day) delivery.")
    availability = models.CharField(
        max_length=20,
        choices=Availability.choices,
        default=Availability.OUT_OF_STOCK,  # a new product has no stock until inventory says so
        help_text="Projected from inventory events; inventory holds the truth.",
    )
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["category", "price", "id"], name="product_cat_price_idx"),
            models.Index(fields=["category", "-created_at", "-id"], name="product_cat_newest_idx"),
            models.Index(fields=["category", "name", "id"], name="product_cat_name_idx"),
            models.Index(fields=["category", "-rating_avg", "-id"], name="product_cat_rating_idx"),
            models.Index(fields=["category", "-rating_count", "-id"], name="product_cat_featured_idx"),
            models.Index(fields=["brand", "id"], name="product_brand_idx"),
            GinIndex(fields=["attributes"], name="product_attributes_gin", opclasses=["jsonb_path_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(condition=models.Q(rating_count__gte=0), name="product_rating_count_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.category_id:
            attributes.validate_for_category(self.attributes, self.category)


class Sku(models.Model):
    """A stock-keeping unit: one concrete variant (size, colour) of a product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(max_length=64, unique=True)
    variant_attributes = models.JSONField(default=dict, blank=True, help_text='e.g. {"Size": "M", "Colour": "Navy"}')
    price_override = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    weight_grams = models.PositiveIntegerField(default=500)
    length_mm = models.PositiveIntegerField(default=300)
    width_mm = models.PositiveIntegerField(default=200)
    height_mm = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = "SKU"
        indexes = [models.Index(fields=["product", "position", "id"], name="sku_product_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def price(self) -> Decimal:
        return self.price_override if self.price_override is not None else self.product.price


class ProductImage(models.Model):
    """An image of a product. ``source_url`` is the feed's original address, kept
    for reference; offline we serve a deterministic placeholder for it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    source_url = models.URLField(max_length=500, blank=True)
    alt_text = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="image_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}#{self.position}"
