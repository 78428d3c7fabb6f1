"""Staff view of the emails sent (and not), and of the alerts waiting for someone."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from shop.notifications.models import Notification, StaffAlert


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["subject", "order_id"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        return [field.name for field in Notification._meta.fields]


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("1", "Open"), ("0", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("0", "1"):
            return queryset.filter(resolved_at__isnull=self.value() == "1")
        return queryset


@admin.register(StaffAlert)
class StaffAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "reference", "resolved_at", "resolved_by"]
    list_filter = [OpenFilter, "kind"]
    search_fields = ["subject", "reference"]
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: StaffAlert | None = None) -> list[str]:
        return [field.name for field in StaffAlert._meta.fields]

    @admin.action(description="Mark resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=f"staff:{request.user.id}"
        )
        self.message_user(request, f"{count} alert(s) resolved.", messages.SUCCESS)
