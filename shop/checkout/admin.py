"""Staff tools: the pricing tables, and every checkout with its step journal."""

from django.contrib import admin
from django.http import HttpRequest

from shop.checkout.models import Checkout, CheckoutStepLog, ShippingRate, ShippingZone, TaxRate


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 0


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "postcode_prefixes"]
    list_filter = ["country"]
    inlines = [ShippingRateInline]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["country", "region", "name", "rate", "applies_to_shipping"]
    list_filter = ["country"]


class CheckoutStepLogInline(admin.TabularInline):
    model = CheckoutStepLog
    extra = 0
    can_delete = False
    readonly_fields = ["step", "action", "outcome", "detail", "started_at", "finished_at"]

    def has_add_permission(self, request: HttpRequest, obj: Checkout | None = None) -> bool:
        return False


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    list_display = ["id", "email", "state", "step_index", "grand_total", "currency", "order_number", "created_at"]
    list_filter = ["state", "failure_code", "shipping_option"]
    search_fields = ["id", "email", "idempotency_key", "order_number"]
    inlines = [CheckoutStepLogInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Checkout | None = None) -> list[str]:
        return [field.name for field in Checkout._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
