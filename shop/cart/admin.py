"""Carts in the admin, read-only: customer support can see what a customer has in their cart."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shop.cart.models import Cart, CartLine


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ["sku_id", "product_id", "quantity", "unit_price", "currency", "added_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["user_id", "version", "updated_at"]
    search_fields = ["=user_id"]
    ordering = ["-updated_at"]
    show_full_result_count = False
    inlines = [CartLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
