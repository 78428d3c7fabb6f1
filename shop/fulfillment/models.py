"""Shipments (one per warehouse an order ships from), their tracking, return parcels,
and the staff-edited tables saying which warehouse system and carrier serve what.

Orders are referenced by id and number only; the order's own record stays in orders.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the warehouse"
    PICKING = "picking", "Sent to the warehouse"
    PICKED = "picked", "Picked"
    PACKED = "packed", "Packed and labelled"
    CAPTURING = "capturing", "Handed over: charging"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    ON_HOLD = "on_hold", "On hold (payment capture failed)"
    CANCELLED = "cancelled", "Cancelled"


class ShipmentKind(models.TextChoices):
    ORDER = "order", "Order"
    RESHIP = "reship", "Replacement (no charge)"


# The order stage each shipment status stands for (shop.orders.lifecycle.stage_of_shipments).
ORDER_STAGE = {
    ShipmentStatus.PENDING: "payment_confirmed",
    ShipmentStatus.PICKING: "payment_confirmed",
    ShipmentStatus.PICKED: "picked",
    ShipmentStatus.PACKED: "picked",
    ShipmentStatus.CAPTURING: "picked",
    ShipmentStatus.ON_HOLD: "picked",
    ShipmentStatus.SHIPPED: "shipped",
    ShipmentStatus.DELIVERED: "delivered",
}


class Shipment(models.Model):
    order_id = models.BigIntegerField(db_index=True)
    order_number = models.CharField(max_length=20)
    kind = models.CharField(
        max_length=10,
        choices=ShipmentKind.choices,
        default=ShipmentKind.ORDER,
        help_text="A replacement (reship) captures nothing and does not move the order.",
    )
    reship_reference = models.CharField(
        max_length=90, blank=True, default="", help_text="The caller's idempotency key of a reship."
    )
    reship_reason = models.CharField(max_length=500, blank=True, default="")
    warehouse_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="This parcel's share of the order total: captured when it ships."
    )
    captured_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="What this parcel captures (planned while capturing)."
    )
    capture_final = models.BooleanField(default=False, help_text="The order's last capture: releases the rest.")
    capture_generation = models.PositiveSmallIntegerField(
        default=0, help_text="Bumped when the processor refused a capture, so a retry uses a new key."
    )
    hold_reason = models.CharField(max_length=500, blank=True)
    service = models.CharField(max_length=30, help_text="The order's shipping method (standard, express).")
    ship_to = models.JSONField()
    carrier = models.CharField(max_length=20, blank=True)
    carrier_service = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    tracking_status = models.CharField(max_length=30, blank=True)
    label_pdf = models.BinaryField(null=True, blank=True, editable=False)
    postage = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    picked_at = models.DateTimeField(null=True, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [models.Index(fields=["status", "-updated_at"], name="shipment_status_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="shipment_amount_non_negative"),
            models.CheckConstraint(
                condition=models.Q(captured_amount__lte=models.F("amount"))
                | models.Q(capture_final=True),  # without multicapture the first parcel captures everything
                name="shipment_capture_within_share",
            ),
            models.UniqueConstraint(
                fields=["reship_reference", "warehouse_id"],
                condition=models.Q(kind="reship"),
                name="reship_once_per_reference",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reship") | models.Q(amount=0), name="reship_charges_nothing"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """Our name for the parcel at the warehouse and the carrier."""
        return f"SHP-{self.id}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line_id = models.BigIntegerField(help_text="The order line (orders domain).")
    sku_id = models.BigIntegerField()
    sku_code = models.CharField(max_length=64)
    product_name = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shipment_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku_code}"


class TrackingEvent(models.Model):
    """One carrier scan, from a verified webhook; ``event_id`` is the carrier's, so a replay is refused."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    code = models.CharField(max_length=30)
    description = models.CharField(max_length=300)
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipment_id", "occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["carrier", "event_id"], name="tracking_event_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.shipment_id}"


class ReturnParcelStatus(models.TextChoices):
    LABEL_CREATED = "label_created", "Label created"
    RECEIVED = "received", "Received at the warehouse"
    CANCELLED = "cancelled", "Cancelled"


class ReturnParcel(models.Model):
    """The parcel a customer sends back for a return (orders' ``Return``), with its prepaid label."""

    return_id = models.BigIntegerField(unique=True)
    order_id = models.BigIntegerField(db_index=True)
    order_number = models.CharField(max_length=20)
    warehouse_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ReturnParcelStatus.choices, default=ReturnParcelStatus.LABEL_CREATED
    )
    lines = models.JSONField(help_text="line_id, sku_id, product_name, quantity of each returned line.")
    carrier = models.CharField(max_length=20)
    carrier_service = models.CharField(max_length=50)
    tracking_number = models.CharField(max_length=40, unique=True)
    label_pdf = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"RET-{self.return_id}"


def warehouse_adapter_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.FULFILLMENT_WAREHOUSE_ADAPTERS]


class WarehouseConnection(models.Model):
    """Which warehouse system receives a warehouse's pick-and-pack instructions (staff edit it).
    A warehouse without a row uses ``FULFILLMENT_DEFAULT_WAREHOUSE_ADAPTER``."""

    warehouse_id = models.BigIntegerField(unique=True, help_text="The inventory domain's warehouse id.")
    adapter = models.CharField(max_length=30, choices=warehouse_adapter_choices)
    ship_from = models.JSONField(
        default=dict, blank=True, help_text='The return address on labels: {"name", "line1", "city", "postcode", ...}'
    )

    def __str__(self) -> str:
        return f"warehouse {self.warehouse_id} → {self.adapter}"


class CarrierChoice(models.Model):
    """Which carrier and service ships an order's shipping method (staff edit it). Without a row
    for a method, the cheapest quote of ``FULFILLMENT_DEFAULT_CARRIER`` wins."""

    shipping_method = models.CharField(max_length=30, unique=True)
    carrier = models.CharField(max_length=20)
    service = models.CharField(max_length=50, blank=True, help_text="Blank: the cheapest service quoted.")

    def __str__(self) -> str:
        return f"{self.shipping_method}: {self.carrier} {self.service or '(cheapest)'}"
