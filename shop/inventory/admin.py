"""Staff tools for stock: warehouses, receiving and adjusting stock with a
reason (through the services, so the ledger and events follow), open holds,
and the append-only ledger. Stock levels and holds are read-only here:
changing them by hand would bypass the ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from shop.inventory import holds, stock
from shop.inventory.forms import AdjustForm, ReceiveForm
from shop.inventory.models import Hold, HoldLine, LedgerEntry, Restock, StockLevel, Warehouse
from shop.inventory.types import InventoryError

MOVE_PERMISSION = "inventory.change_stocklevel"


def exact_search(queryset: QuerySet, term: str, id_field: str, text_field: str | None = None) -> QuerySet:
    """Exact matches only: an id (partition pruning, an index) or an exact reference."""
    term = term.strip()
    if term.isdigit() and len(term) <= 18:
        return queryset.filter(**{id_field: int(term)})
    if text_field and term:
        return queryset.filter(**{text_field: term})
    return queryset.none()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "zone", "priority", "is_active"]
    list_filter = ["zone", "is_active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: stock, holds and the ledger point at it


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["sku_id", "warehouse", "on_hand", "reserved", "available", "version", "updated_at", "adjust_link"]
    list_filter = ["warehouse"]
    list_select_related = ["warehouse"]
    search_fields = ["sku_id"]
    search_help_text = "A SKU id."
    ordering = ["sku_id", "warehouse_id"]
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/inventory/stocklevel/change_list.html"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term:
            return queryset, False
        return exact_search(queryset, search_term, "sku_id"), False

    @admin.display(description="available")
    def available(self, obj: StockLevel) -> int:
        return obj.available

    @admin.display(description="")
    def adjust_link(self, obj: StockLevel) -> str:
        return format_html('<a href="{}">Adjust</a>', reverse("admin:inventory_stocklevel_adjust", args=[obj.pk]))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("receive/", wrap(self.receive_view), name="inventory_stocklevel_receive"),
            path("<int:object_id>/adjust/", wrap(self.adjust_view), name="inventory_stocklevel_adjust"),
            *super().get_urls(),
        ]

    def _check_move_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(MOVE_PERMISSION):
            raise PermissionDenied

    def receive_view(self, request: HttpRequest) -> HttpResponse:
        self._check_move_permission(request)
        form = ReceiveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                row = stock.receive(
                    data["sku_id"],
                    data["warehouse"].id,
                    data["quantity"],
                    reason=data["reason"],
                    reference=data["reference"],
                    staff_user_id=request.user.pk,
                )
            except InventoryError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"Received {data['quantity']} of SKU {row.sku_id}: {row.on_hand} now on hand."
                )
                return self._back_to_sku(row.sku_id)
        return self._form_page(request, form, "Receive stock", None)

    def adjust_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        self._check_move_permission(request)
        level = get_object_or_404(StockLevel.objects.select_related("warehouse"), pk=object_id)
        form = AdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                row = stock.adjust(
                    level.sku_id,
                    level.warehouse_id,
                    form.cleaned_data["delta"],
                    reason=form.cleaned_data["reason"],
                    staff_user_id=request.user.pk,
                )
            except InventoryError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Adjusted SKU {row.sku_id}: {row.on_hand} now on hand.")
                return self._back_to_sku(row.sku_id)
        return self._form_page(request, form, f"Adjust SKU {level.sku_id} at {level.warehouse}", level)

    def _back_to_sku(self, sku_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(f"{reverse('admin:inventory_stocklevel_changelist')}?q={sku_id}")

    def _form_page(self, request: HttpRequest, form: Any, title: str, level: StockLevel | None) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "level": level,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/movement_form.html", context)


class HoldLineInline(admin.TabularInline):
    model = HoldLine
    fields = ["sku_id", "warehouse", "quantity", "restocked"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "expires_at", "created_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    search_help_text = "An exact reference."
    ordering = ["-created_at"]
    show_full_result_count = False
    inlines = [HoldLineInline]
    actions = ["release_holds"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term:
            return queryset, False
        return queryset.filter(reference=search_term.strip()), False

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.change_hold")

    @admin.action(description="Release the selected holds", permissions=["release"])
    def release_holds(self, request: HttpRequest, queryset: QuerySet) -> None:
        released = 0
        for reference in queryset.filter(status=Hold.Status.HELD).values_list("reference", flat=True):
            released += holds.release(reference).status == Hold.Status.RELEASED
        messages.success(request, f"Released {released} hold(s).")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "sku_id",
        "warehouse",
        "kind",
        "delta",
        "on_hand_after",
        "reason",
        "reference",
        "staff_user_id",
    ]
    list_filter = ["kind", "warehouse"]
    list_select_related = ["warehouse"]
    search_fields = ["sku_id", "reference"]
    search_help_text = "A SKU id or an exact reference."
    ordering = ["-id"]
    list_per_page = 100
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term:
            return queryset, False
        return exact_search(queryset, search_term, "sku_id", "reference"), False


@admin.register(Restock)
class RestockAdmin(ReadOnlyAdmin):
    list_display = ["reference", "hold", "reason", "created_at"]
    search_fields = ["reference"]
    search_help_text = "An exact restock reference."
    ordering = ["-created_at"]
    show_full_result_count = False
    readonly_fields = ["reference", "hold", "lines", "reason", "created_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term:
            return queryset, False
        return queryset.filter(reference=search_term.strip()), False
