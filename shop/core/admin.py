"""Operational views of the event pipeline (what is pending, what failed), and the inline
base the domains' admins share for the records they only show."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from shop.core.models import FailedDelivery, OutboxEvent
from shop.core.tasks import deliver_events


class ReadOnlyInline(admin.TabularInline):
    """Rows staff see under their parent but never add, edit or delete: history, audit and
    lines change only through the owning services. Every listed field is read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "occurred_at", "relayed_at"]
    list_filter = ["event_type", ("relayed_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "event_type", "payload", "occurred_at", "relayed_at"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False


@admin.register(FailedDelivery)
class FailedDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "consumer", "failed_at", "resolved_at"]
    list_filter = ["consumer", ("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["event_id", "event_type", "consumer", "payload", "error", "failed_at", "resolved_at"]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Replay to the consumer (it still deduplicates)")
    def replay(self, request: HttpRequest, queryset: QuerySet[FailedDelivery]) -> None:
        count = 0
        for failure in queryset.filter(resolved_at__isnull=True):
            deliver_events.delay(failure.consumer, [failure.payload])
            failure.resolved_at = timezone.now()
            failure.save(update_fields=["resolved_at"])
            count += 1
        messages.info(request, f"Replayed {count} deliveries.")
