"""Checkout sagas and the pricing tables staff edit.

A ``Checkout`` row is the saga's whole state: which step it is on, who holds
its lease, and what each step produced (hold reference, totals, payment
reference, order id). ``CheckoutStepLog`` is its append-only journal.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shop.core.saga import SagaJournal, SagaRecord, SagaState

CheckoutState = SagaState


class Checkout(SagaRecord):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(
        max_length=100, help_text='"user:<id>" or "guest:<cart token>": scopes the idempotency key.'
    )
    idempotency_key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64, help_text="Of the request body: a reused key must come with it.")
    user_id = models.BigIntegerField(null=True, blank=True)
    email = models.EmailField()
    lines = models.JSONField(
        help_text="The cart as the customer saw it: sku_id, quantity, unit_price (the price seen), names, weight."
    )
    shipping_address = models.JSONField()
    shipping_option = models.CharField(max_length=30)
    payment_method = models.CharField(max_length=100, help_text="A processor token (pm_...), never a card number.")
    currency = models.CharField(max_length=3, blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    grand_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    allocations = models.JSONField(
        default=list, blank=True, help_text="The inventory hold's lines: sku_id, warehouse_id, quantity."
    )
    deadline = models.DateTimeField(help_text="Past it, an unfinished checkout is compensated.")
    order_id = models.BigIntegerField(null=True, blank=True)
    order_number = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "idempotency_key"], name="checkout_idempotency_once")]
        indexes = [
            # The resumer's scan: unfinished sagas whose lease ran out.
            models.Index(
                fields=["lease_until"],
                name="checkout_unfinished_idx",
                condition=models.Q(state__in=["pending", "running", "compensating"]),
            ),
        ]

    def __str__(self) -> str:
        return f"checkout {self.id} ({self.state})"


class CheckoutStepLog(SagaJournal):
    """One line per step attempt or compensation, with timestamps: the saga's journal."""

    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["checkout_id", "started_at", "id"]


# --- Pricing tables (staff edit these in the admin) ---------------------------------------------


class ShippingZone(models.Model):
    """Where a destination falls, by country and postcode prefix (longest prefix wins)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. IN.")
    postcode_prefixes = models.JSONField(
        default=list, blank=True, help_text='e.g. ["11", "12"]; empty = whole country.'
    )

    class Meta:
        ordering = ["country", "code"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """Price of a shipping option to a zone: a base fee plus a fee per started kilogram."""

    class Option(models.TextChoices):
        STANDARD = "standard", "Standard"
        EXPRESS = "express", "Express"

    option = models.CharField(max_length=30, choices=Option.choices)
    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    currency = models.CharField(max_length=3)
    base_fee = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    per_kg_fee = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    free_over = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Subtotal from which this option is free."
    )
    min_days = models.PositiveSmallIntegerField(default=3)
    max_days = models.PositiveSmallIntegerField(default=6)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["option", "zone", "currency"], name="shipping_rate_once")]
        ordering = ["zone", "option"]

    def __str__(self) -> str:
        return f"{self.get_option_display()} to {self.zone}"


class TaxRate(models.Model):
    """Tax for a destination country (and optionally one region of it, which wins)."""

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=50, blank=True, help_text="State or province code; blank = whole country.")
    name = models.CharField(max_length=50, help_text='Shown on receipts, e.g. "GST".')
    rate = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]
    )
    applies_to_shipping = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "region"], name="tax_rate_once")]
        ordering = ["country", "region"]

    def __str__(self) -> str:
        return f"{self.name} {self.rate:%} ({self.country}{'-' + self.region if self.region else ''})"
