"""Staff work tickets here. Nothing is edited in place: every change goes through the services.

- The queue: filters on status, category, first-response and resolution times (sortable
  columns too), search by id, subject, email and order number, and a report of averages.
- A ticket: its conversation (inline, internal notes marked), a reply form that can be an
  internal note and can resolve, the audit of staff actions, and the order tools: cancel,
  refund (full or partial), reship, start a return. Those go through the owning domains'
  services (``services.take_action``) and need the ``support.act_on_orders`` permission;
  replying needs the change permission.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from shop.core.admin import ReadOnlyInline
from shop.orders import services as orders
from shop.payments import services as payments
from shop.support import services
from shop.support.forms import OrderActionForm, StaffReplyForm, new_key
from shop.support.metrics import REPORT_WINDOWS
from shop.support.models import ActionKind, ActionStatus, Message, Ticket, TicketAction

ACT_PERMISSION = "support.act_on_orders"


def duration_filter(
    title: str, parameter: str, field: str, missing: tuple[str, str], buckets: list[tuple[str, str, int, int | None]]
) -> type[admin.SimpleListFilter]:
    """A list filter on a stored duration: ``missing`` (code, label) for none yet, and buckets
    (code, label, from hours, to hours or None)."""

    class DurationFilter(admin.SimpleListFilter):
        def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
            return [missing, *[(code, label) for code, label, _low, _high in buckets]]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            if self.value() == missing[0]:
                return queryset.filter(**{f"{field}__isnull": True})
            for code, _label, low, high in buckets:
                if self.value() == code:
                    condition = Q(**{f"{field}__gte": timedelta(hours=low)})
                    if high is not None:
                        condition &= Q(**{f"{field}__lt": timedelta(hours=high)})
                    return queryset.filter(condition)
            return queryset

    DurationFilter.title = title
    DurationFilter.parameter_name = parameter
    return DurationFilter


FirstResponseFilter = duration_filter(
    "first response",
    "first_response",
    "first_response_time",
    ("none", "No answer yet"),
    [
        ("1h", "Within 1 hour", 0, 1),
        ("4h", "1 to 4 hours", 1, 4),
        ("24h", "4 to 24 hours", 4, 24),
        ("late", "Over 24 hours", 24, None),
    ],
)
ResolutionFilter = duration_filter(
    "time to resolution",
    "resolution",
    "resolution_time",
    ("open", "Not resolved"),
    [("1d", "Within 1 day", 0, 24), ("3d", "1 to 3 days", 24, 72), ("late", "Over 3 days", 72, None)],
)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author", "author_name", "internal", "body"]
    verbose_name_plural = "Conversation (internal notes are never shown to the customer)"


class ActionInline(ReadOnlyInline):
    model = TicketAction
    fields = ["created_at", "kind", "staff_name", "reason", "amount", "status", "reference", "result"]
    verbose_name_plural = "Actions taken on the order (audit)"


def _staff_name(request: HttpRequest) -> str:
    return request.user.get_short_name() or services.STAFF_SIGNATURE


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subject",
        "category",
        "status",
        "email",
        "order_number",
        "created_at",
        "first_response",
        "resolution",
        "waiting",
        "last_activity_at",
    ]
    list_display_links = ["id", "subject"]
    list_filter = ["status", "category", FirstResponseFilter, ResolutionFilter, "created_at"]
    search_fields = ["=id", "subject", "email", "order_number"]
    ordering = ["-last_activity_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["resolve_selected"]
    form = StaffReplyForm
    inlines = [MessageInline, ActionInline]
    change_form_template = "admin/support/ticket/change_form.html"
    change_list_template = "admin/support/ticket/change_list.html"
    readonly_fields = [
        "status",
        "category",
        "subject",
        "email",
        "user_id",
        "order_link",
        "created_at",
        "last_activity_at",
        "waiting_since",
        "first_response_at",
        "first_response",
        "resolved_at",
        "resolution",
        "message_count",
        "reopened_count",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("status", "category"),
                    "subject",
                    ("email", "user_id"),
                    "order_link",
                    ("created_at", "last_activity_at", "waiting_since"),
                    ("first_response_at", "first_response"),
                    ("resolved_at", "resolution"),
                    ("message_count", "reopened_count"),
                ]
            },
        ),
        ("Reply", {"fields": ["reply", "internal", "resolve"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False  # the conversation and its audit are kept

    def get_fieldsets(self, request: HttpRequest, obj: Ticket | None = None) -> list[tuple[str | None, dict]]:
        if obj is not None and not self.has_change_permission(request, obj):
            return self.fieldsets[:1]
        return self.fieldsets

    @admin.display(description="first response", ordering="first_response_time")
    def first_response(self, ticket: Ticket) -> str:
        return services.duration_label(ticket.first_response_time)

    @admin.display(description="time to resolution", ordering="resolution_time")
    def resolution(self, ticket: Ticket) -> str:
        return services.duration_label(ticket.resolution_time)

    @admin.display(description="waiting for us", ordering="waiting_since")
    def waiting(self, ticket: Ticket) -> str:
        return timesince(ticket.waiting_since) if ticket.waiting_since else "—"

    @admin.display(description="order")
    def order_link(self, ticket: Ticket) -> str:
        if ticket.order_id is None:
            return "— (a general question)"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[ticket.order_id]), ticket.order_number
        )

    @admin.action(description="Resolve the selected tickets")
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        resolved = sum(services.staff_resolve(ticket_id) for ticket_id in queryset.values_list("id", flat=True)[:500])
        self.message_user(request, f"{resolved} ticket(s) resolved.", messages.SUCCESS)

    # --- Replying: the change form's save -------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Ticket, form: StaffReplyForm, change: bool) -> None:
        """The ticket is never saved from the form: the reply (or note) and the resolution go
        through the services, which stamp the times and publish the events."""
        reply = (form.cleaned_data.get("reply") or "").strip()
        resolve = form.cleaned_data.get("resolve", False)
        internal = form.cleaned_data.get("internal", False)
        if reply:
            services.staff_reply(
                obj.id,
                staff_id=request.user.id,
                staff_name=_staff_name(request),
                body=reply,
                internal=internal,
                resolve=resolve,
            )
            done = "Note added." if internal else "Reply sent: the customer gets it by email."
            self.message_user(request, done + (" The ticket is resolved." if resolve else ""), messages.SUCCESS)
        elif resolve:
            services.staff_resolve(obj.id)
            self.message_user(request, "The ticket is resolved.", messages.SUCCESS)

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        return HttpResponseRedirect(request.path)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        ticket = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if ticket is not None and ticket.order_id is not None:
            context["order_tools"] = self._order_tools(request, ticket)
        return super().change_view(request, object_id, form_url, context)

    # --- Order tools -----------------------------------------------------------------------------

    def _order_tools(self, request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
        if not request.user.has_perm(ACT_PERMISSION):
            return None
        order = orders.get_order(ticket.order_id)
        if order is None:
            return None
        try:
            payment = payments.get_payment(order.payment_reference)
        except payments.PaymentNotFound:
            payment = None
        forms = [
            (
                kind,
                ActionKind(kind).label,
                reverse("admin:support_ticket_act", args=[ticket.id, kind]),
                OrderActionForm(kind=kind, order=order, initial={"key": new_key()}),
            )
            for kind in ActionKind.values
        ]
        pending = ticket.actions.filter(status=ActionStatus.PENDING).order_by("id")
        return {
            "order": order,
            "payment": payment,
            "forms": forms,
            "pending": [
                (action, reverse("admin:support_ticket_retry", args=[ticket.id, action.id])) for action in pending
            ],
        }

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="support_ticket_report"),
            path("<id:ticket_id>/act/<slug:kind>/", view(self.act_view), name="support_ticket_act"),
            path("<id:ticket_id>/actions/<id:action_id>/retry/", view(self.retry_view), name="support_ticket_retry"),
            *super().get_urls(),
        ]

    def _check_can_act(self, request: HttpRequest) -> None:
        if not request.user.has_perm(ACT_PERMISSION):
            raise PermissionDenied("You may not act on orders from tickets.")

    def act_view(self, request: HttpRequest, ticket_id: int, kind: str) -> HttpResponse:
        return require_POST(self._act)(request, ticket_id, kind)

    def _act(self, request: HttpRequest, ticket_id: int, kind: str) -> HttpResponse:
        self._check_can_act(request)
        ticket = Ticket.objects.filter(id=ticket_id).first()
        if ticket is None or kind not in ActionKind.values or ticket.order_id is None:
            raise Http404("No such ticket or action")
        order = orders.get_order(ticket.order_id)
        if order is None:
            raise Http404("The ticket's order no longer exists")
        form = OrderActionForm(request.POST, kind=kind, order=order)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{ActionKind(kind).label}: {label + ': ' if label else ''}{error}")
            return redirect("admin:support_ticket_change", ticket_id)
        try:
            action = services.take_action(
                ticket_id,
                kind=kind,
                staff_id=request.user.id,
                staff_name=_staff_name(request),
                reason=form.cleaned_data["reason"],
                key=form.cleaned_data["key"],
                amount=form.cleaned_data.get("amount"),
                lines=form.lines(),
            )
        except services.ActionPending as pending:
            messages.warning(request, pending.message)
        except services.SupportError as error:
            messages.error(request, f"{ActionKind(kind).label}: {error.message}")
        else:
            self._report(request, action)
        return redirect("admin:support_ticket_change", ticket_id)

    def retry_view(self, request: HttpRequest, ticket_id: int, action_id: int) -> HttpResponse:
        return require_POST(self._retry)(request, ticket_id, action_id)

    def _retry(self, request: HttpRequest, ticket_id: int, action_id: int) -> HttpResponse:
        self._check_can_act(request)
        if not TicketAction.objects.filter(id=action_id, ticket_id=ticket_id).exists():
            raise Http404("No such action")
        try:
            self._report(request, services.retry_action(action_id))
        except services.ActionPending as pending:
            messages.warning(request, pending.message)
        return redirect("admin:support_ticket_change", ticket_id)

    def _report(self, request: HttpRequest, action: services.ActionInfo) -> None:
        prefix = f"{action.kind_label}: " + ("this form was already sent; " if action.replayed else "")
        if action.status == ActionStatus.SUCCEEDED:
            messages.success(request, f"{prefix}{action.result} ({action.reference})")
        elif action.status == ActionStatus.REFUSED:
            messages.error(request, f"{prefix}refused, nothing changed: {action.result}")
        else:
            messages.warning(
                request, f"{prefix}in progress or pending: reload in a moment, and retry it if it stays pending."
            )

    # --- Report ----------------------------------------------------------------------------------

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        asked = request.GET.get("days", "")
        days = int(asked) if asked.isdigit() and int(asked) in REPORT_WINDOWS else REPORT_WINDOWS[1]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Customer service: the last {days} days",
            "opts": self.model._meta,
            "rows": services.report(days),
            "days": days,
            "windows": REPORT_WINDOWS,
        }
        return TemplateResponse(request, "admin/support/ticket/report.html", context)
