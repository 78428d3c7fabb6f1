from django.contrib import admin
from django.http import HttpRequest

from shop.analytics.models import OrderTransitionCount


@admin.register(OrderTransitionCount)
class OrderTransitionCountAdmin(admin.ModelAdmin):
    list_display = ["day", "from_status", "to_status", "count"]
    list_filter = ["to_status", "from_status"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrderTransitionCount | None = None) -> bool:
        return False
