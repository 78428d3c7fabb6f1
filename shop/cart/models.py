"""Durable carts of signed-in customers (guest carts live only in Redis).

``version`` grows with every change under the cart's row lock; the Redis
copy is written with it and never overwritten by an older one.
"""

from __future__ import annotations

from django.db import models


class Cart(models.Model):
    user_id = models.BigIntegerField(unique=True)
    version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart of user {self.user_id}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="The price when it was added.")
    currency = models.CharField(max_length=3)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku_id"], name="cartline_one_per_sku"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x SKU {self.sku_id}"
