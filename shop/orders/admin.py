"""Staff view of orders. Lines and history are read-only: an order's record is
changed only through the orders services (state transitions come with issue 5)."""

from django.contrib import admin
from django.http import HttpRequest

from shop.orders.models import Order, OrderLine, OrderStatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "sku_id",
        "product_id",
        "product_name",
        "sku_code",
        "variant",
        "quantity",
        "unit_price",
        "line_total",
        "warehouse_id",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "status", "grand_total", "currency", "shipping_method", "placed_at"]
    list_filter = ["status", "shipping_method", "currency", "placed_at"]
    search_fields = ["number", "email", "payment_reference", "checkout_id"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderStatusChangeInline]
    show_full_result_count = False
    readonly_fields = [
        "number",
        "checkout_id",
        "user_id",
        "email",
        "status",
        "currency",
        "subtotal",
        "shipping_total",
        "tax_total",
        "grand_total",
        "shipping_method",
        "shipping_address",
        "billing_address",
        "payment_reference",
        "placed_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
