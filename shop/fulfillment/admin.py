"""Staff view of shipments (with their labels and tracking), return parcels, and the tables
choosing warehouse systems and carriers. Held parcels are released with "Retry capture"."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from shop.core.admin import ReadOnlyInline
from shop.fulfillment import services
from shop.fulfillment.models import (
    CarrierChoice,
    ReturnParcel,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
    WarehouseConnection,
)


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["line_id", "sku_id", "sku_code", "product_name", "quantity"]


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "code", "description", "location", "event_id", "received_at"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "order_number",
        "warehouse_id",
        "status",
        "kind",
        "carrier",
        "tracking_number",
        "amount",
        "captured_amount",
        "shipped_at",
    ]
    list_filter = ["status", "kind", "carrier", "tracking_status", "created_at"]
    search_fields = ["order_number", "tracking_number", "reship_reference"]
    inlines = [ShipmentLineInline, TrackingEventInline]
    show_full_result_count = False
    actions = ["retry_capture"]
    exclude = ["label_pdf"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("label_pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: Shipment | None = None) -> list[str]:
        return [f.name for f in Shipment._meta.fields if f.name != "label_pdf"] + ["label"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Label")
    def label(self, shipment: Shipment) -> str:
        if not shipment.tracking_number:
            return "—"
        url = reverse("admin:fulfillment_shipment_label", args=[shipment.id])
        return format_html('<a href="{}">Download the label (PDF)</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.label_view)
        return [path("<int:shipment_id>/label/", view, name="fulfillment_shipment_label"), *super().get_urls()]

    def label_view(self, request: HttpRequest, shipment_id: int) -> HttpResponse:
        pdf = services.shipment_label(shipment_id)
        if pdf is None:
            raise Http404("No label")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="SHP-{shipment_id}-label.pdf"'
        return response

    @admin.action(description="Retry capture (release a parcel on hold)")
    def retry_capture(self, request: HttpRequest, queryset: QuerySet) -> None:
        released = sum(services.retry_capture(s.id) for s in queryset.filter(status=ShipmentStatus.ON_HOLD)[:200])
        self.message_user(request, f"{released} parcel(s) released for capture.", messages.SUCCESS)


@admin.register(ReturnParcel)
class ReturnParcelAdmin(admin.ModelAdmin):
    list_display = ["reference", "order_number", "status", "carrier", "tracking_number", "created_at", "received_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["order_number", "tracking_number"]
    exclude = ["label_pdf"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("label_pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: ReturnParcel | None = None) -> list[str]:
        return [f.name for f in ReturnParcel._meta.fields if f.name != "label_pdf"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WarehouseConnection)
class WarehouseConnectionAdmin(admin.ModelAdmin):
    list_display = ["warehouse_id", "adapter"]


@admin.register(CarrierChoice)
class CarrierChoiceAdmin(admin.ModelAdmin):
    list_display = ["shipping_method", "carrier", "service"]
