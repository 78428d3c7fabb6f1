"""Customers and staff, and customers' saved addresses.

The user model is ours from the first migration (Django's advice: swapping it
later means rewriting every table that points at users). Other domains store a
``user_id`` integer and never join these tables.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)

    def __str__(self) -> str:
        return self.email or self.username


class Address(models.Model):
    """A delivery address in a customer's address book; at most one is the default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=100)
    phone = models.CharField(
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9][0-9 -]{5,18}$", "Enter a phone number: digits, spaces, dashes.")],
    )
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(
        max_length=12, validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,10}$", "Enter a postal code.")]
    )
    country = models.CharField(
        max_length=2,
        default="IN",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use the two-letter country code, e.g. IN.")],
        help_text="ISO 3166 two-letter code.",
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["-is_default", "id"]
        indexes = [models.Index(fields=["user", "-is_default", "id"], name="address_user_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="address_one_default_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"
