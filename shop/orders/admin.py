"""Staff view of orders and returns. Nothing is edited in place: every change goes through
the orders services, so it is checked against the state machine, recorded and published.

The order list's actions are the staff moves of the state machine's table
(``shop.orders.lifecycle.TRANSITIONS``), each carried out by its service.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from shop.core.admin import ReadOnlyInline
from shop.fulfillment import services as fulfillment
from shop.notifications import services as notifications
from shop.orders import lifecycle, refunds, services
from shop.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundStepLog,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnStatus,
)
from shop.orders.returns import open_return_id
from shop.orders.tasks import run_refund


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "sku_id",
        "product_id",
        "product_name",
        "sku_code",
        "quantity",
        "unit_price",
        "line_total",
        "warehouse_id",
    ]


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]


class ReturnInline(ReadOnlyInline):
    model = Return
    fields = ["id", "status", "amount", "currency", "reason", "requested_at", "received_at", "closed_at"]
    show_change_link = True


def _actor(request: HttpRequest) -> str:
    return f"staff:{request.user.id}"


def _confirm(order_id: int, request: HttpRequest) -> None:
    services.confirm_payment(order_id, actor=_actor(request))


def _cancel(order_id: int, request: HttpRequest) -> None:
    services.cancel_order(order_id, actor=_actor(request), reason="cancelled by staff")


def _mark_returned(order_id: int, request: HttpRequest) -> None:
    return_id = open_return_id(order_id)
    if return_id is None:
        raise services.InvalidTransition("The order has no open return.")
    services.return_received(return_id, actor=_actor(request))


def _reject_return(order_id: int, request: HttpRequest) -> None:
    return_id = open_return_id(order_id)
    if return_id is None:
        raise services.InvalidTransition("The order has no open return.")
    services.reject_return(return_id, actor=_actor(request), reason="return rejected by staff")


# The service carrying out each staff move of the table (a move without one is not offered here:
# a staff-requested return needs its lines, so it is made from the customer's return form).
STAFF_MOVES: dict[str, Callable[[int, HttpRequest], None]] = {
    OrderStatus.PAYMENT_CONFIRMED: _confirm,
    OrderStatus.CANCELLED: _cancel,
    OrderStatus.RETURNED: _mark_returned,
    OrderStatus.DELIVERED: _reject_return,
}


def _transition_action(target: str, label: str) -> Callable:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        done, refused = 0, []
        for order in queryset.order_by("id")[:500]:
            try:
                STAFF_MOVES[target](order.id, request)
                done += 1
            except services.InvalidTransition as error:
                refused.append(f"{order.number}: {error.message}")
        if done:
            modeladmin.message_user(request, f"{label}: {done} order(s).", messages.SUCCESS)
        for message in refused[:20]:
            modeladmin.message_user(request, message, messages.ERROR)

    action.__name__ = f"move_to_{target}"
    return admin.action(description=f"{label} (→ {lifecycle.label(target).lower()})")(action)


def _staff_actions() -> list[Callable]:
    labels: dict[str, str] = {}
    for transition in lifecycle.TRANSITIONS:
        if lifecycle.STAFF in transition.by and transition.target in STAFF_MOVES:
            labels.setdefault(transition.target, transition.label)
    return [_transition_action(target, label) for target, label in labels.items()]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "status", "grand_total", "currency", "shipping_method", "placed_at"]
    list_filter = ["status", "shipping_method", "currency", "placed_at", "delivered_at"]
    search_fields = ["number", "email", "payment_reference", "checkout_id"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, ReturnInline, OrderStatusChangeInline]
    show_full_result_count = False
    actions = _staff_actions()
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
        "delivered_at",
        "updated_at",
        "shipments",
        "emails",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Shipments")
    def shipments(self, order: Order) -> str:
        rows = fulfillment.shipments_for_order(order.id)
        if not rows:
            return "—"
        return format_html_join(
            "",
            '<p><a href="{}">{}</a>: {} · {} · captured {} of {} · {}</p>',
            (
                (
                    reverse("admin:fulfillment_shipment_change", args=[s.shipment_id]),
                    s.reference,
                    s.status_label,
                    s.tracking_number or "no label yet",
                    s.captured,
                    s.amount,
                    s.tracking_status or "",
                )
                for s in rows
            ),
        )

    @admin.display(description="Emails")
    def emails(self, order: Order) -> str:
        rows = notifications.notifications_for_order(order.id)
        if not rows:
            return "—"
        return format_html_join(
            "", "<p>{} · {} · {}</p>", ((n.created_at.strftime("%d %b %H:%M"), n.subject, n.status) for n in rows)
        )


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ["line", "quantity"]


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "status", "amount", "currency", "requested_at", "received_at", "closed_at"]
    list_filter = ["status", "requested_at"]
    search_fields = ["order__number", "order__email"]
    list_select_related = ["order"]
    inlines = [ReturnLineInline]
    show_full_result_count = False
    readonly_fields = [
        "order",
        "status",
        "reason",
        "amount",
        "currency",
        "requested_by",
        "requested_at",
        "received_at",
        "closed_at",
        "refund_link",
    ]
    actions = ["mark_received", "reject", "retry_refund"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Refund")
    def refund_link(self, ret: Return) -> str:
        refund = Refund.objects.filter(ret=ret).first()
        if refund is None:
            return "—"
        return format_html(
            '<a href="{}">{} {}</a> {}',
            reverse("admin:orders_refund_change", args=[refund.id]),
            refund.state,
            refund.refund_id,
            refund.failure_message,
        )

    @admin.action(description="Mark received at the warehouse (starts the refund)")
    def mark_received(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, lambda ret: services.return_received(ret.id, actor=_actor(request)))

    @admin.action(description="Reject (no refund; the order is delivered again)")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            lambda ret: services.reject_return(ret.id, actor=_actor(request), reason="return rejected by staff"),
        )

    @admin.action(description="Retry the failed refund")
    def retry_refund(self, request: HttpRequest, queryset: QuerySet) -> None:
        for ret in queryset.filter(status=ReturnStatus.REFUND_FAILED):
            refund = Refund.objects.filter(ret=ret).first()
            if refund and refunds.retry(refund.id):
                run_refund.delay(refund.id)
                self.message_user(request, f"Return {ret.id}: refund restarted.", messages.SUCCESS)

    def _each(self, request: HttpRequest, queryset: QuerySet, act: Callable[[Return], object]) -> None:
        for ret in queryset.order_by("id")[:200]:
            try:
                act(ret)
            except services.InvalidTransition as error:
                self.message_user(request, f"Return {ret.id}: {error.message}", messages.ERROR)


class RefundStepLogInline(ReadOnlyInline):
    model = RefundStepLog
    fields = ["step", "action", "outcome", "detail", "started_at", "finished_at"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["id", "ret", "state", "amount", "currency", "refund_id", "failure_code", "created_at"]
    list_filter = ["state", "failure_code"]
    search_fields = ["refund_id", "ret__order__number"]
    inlines = [RefundStepLogInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Refund | None = None) -> list[str]:
        return [field.name for field in Refund._meta.fields]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = ["window_days", "updated_at"]
