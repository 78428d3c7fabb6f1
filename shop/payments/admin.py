"""Staff view of payments: status history, processor calls, webhook events. Read-only: money
moves only through the services (refunds come from returns, captures from shipments)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shop.core.admin import ReadOnlyInline
from shop.payments import services
from shop.payments.models import Payment, PaymentOperation, PaymentStatusChange, WebhookEvent


class StatusChangeInline(ReadOnlyInline):
    model = PaymentStatusChange
    fields = ["at", "from_status", "to_status", "source", "detail"]
    verbose_name_plural = "status history"


class OperationInline(ReadOnlyInline):
    model = PaymentOperation
    fields = ["created_at", "kind", "amount", "state", "idempotency_key", "processor_id", "error_code", "completed_at"]
    verbose_name_plural = "processor calls"


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "status",
        "amount_authorized",
        "amount_captured",
        "amount_refunded",
        "currency",
        "card",
        "intent_id",
        "created_at",
    ]
    list_filter = ["status", "currency", "multicapture", "created_at"]
    search_fields = ["=reference", "=intent_id"]  # exact: both are unique indexes
    search_help_text = "An exact payment reference (e.g. checkout-42) or processor intent id (pi_...)."
    readonly_fields = [field.name for field in Payment._meta.fields]
    inlines = [StatusChangeInline, OperationInline]
    actions = ["refresh_from_processor"]
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description="card")
    def card(self, payment: Payment) -> str:
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    @admin.action(description="Refresh from the processor (and finish interrupted calls)", permissions=["view"])
    def refresh_from_processor(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        done = 0
        for reference in queryset.values_list("reference", flat=True)[:100]:
            try:
                services.refresh_payment(reference)
                done += 1
            except services.PaymentError as error:
                messages.error(request, f"{reference}: {error.message}")
        messages.info(request, f"Refreshed {done} payments.")


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "intent_id", "received_at"]
    list_filter = ["event_type"]
    search_fields = ["=event_id", "=intent_id"]
    readonly_fields = ["event_id", "event_type", "intent_id", "received_at"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False
