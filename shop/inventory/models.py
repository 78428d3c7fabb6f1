"""Inventory's tables: warehouses, stock levels, holds and the stock ledger.

``StockLevel`` is hash-partitioned by ``sku_id`` in PostgreSQL (migration
0001 creates it with SQL; see docs/inventory.md). Its real primary key is
``(sku_id, warehouse_id)``; ``id`` is a surrogate from one sequence that the
admin uses to address a row. Services always filter on ``sku_id`` so a query
touches one partition, and nothing assumes the partitions are one table.
"""

from __future__ import annotations

from django.db import models

from shop.inventory import types


class Warehouse(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    zone = models.CharField(max_length=50, help_text="The region it serves first, e.g. south.")
    address = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Lower ships first when several warehouses could ship an order equally well."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive warehouses are never allocated from.")

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.code} ({self.zone})"


class StockLevel(models.Model):
    """Units of one SKU in one warehouse. ``available = on_hand - reserved``.

    ``version`` grows with every change: the optimistic strategy's
    compare-and-swap token. Check constraints keep ``0 <= reserved <= on_hand``
    whatever the code does.
    """

    id = models.BigAutoField(primary_key=True)
    sku_id = models.BigIntegerField()
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    version = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "stock level"
        constraints = [
            models.UniqueConstraint(fields=["sku_id", "warehouse"], name="stocklevel_sku_warehouse_key"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stocklevel_on_hand_non_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stocklevel_reserved_non_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")), name="stocklevel_reserved_within_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"SKU {self.sku_id} @ {self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Hold(models.Model):
    """Stock set aside for one reference (a checkout) until it is committed,
    released, or its ``expires_at`` passes and the sweeper releases it."""

    class Status(models.TextChoices):
        HELD = types.HELD, "Held"
        COMMITTED = types.COMMITTED, "Committed"
        RELEASED = types.RELEASED, "Released"
        EXPIRED = types.EXPIRED, "Expired"

    reference = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweeper's query: only open holds are indexed, so the index stays small.
            models.Index(fields=["expires_at"], name="hold_open_expiry_idx", condition=models.Q(status=types.HELD)),
            models.Index(fields=["status", "-created_at"], name="hold_status_created_idx"),
            models.Index(fields=["closed_at"], name="hold_closed_idx", condition=models.Q(closed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.reference


class HoldLine(models.Model):
    hold = models.ForeignKey(Hold, on_delete=models.CASCADE, related_name="lines")
    sku_id = models.BigIntegerField()
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    restocked = models.PositiveIntegerField(default=0, help_text="Units of a committed hold put back on hand since.")

    class Meta:
        ordering = ["sku_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["hold", "sku_id", "warehouse"], name="holdline_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="holdline_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(restocked__lte=models.F("quantity")), name="holdline_restocked_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x SKU {self.sku_id} @ {self.warehouse_id}"


class LedgerEntry(models.Model):
    """One change of ``on_hand``: append-only (a database trigger refuses
    UPDATE and DELETE), so on hand always equals the sum of its entries."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ADJUSTMENT = "adjustment", "Adjustment"
        SALE = "sale", "Sale"
        RESTOCK = "restock", "Restock (cancelled or returned sale)"

    sku_id = models.BigIntegerField()
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    delta = models.IntegerField()
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=300)
    reference = models.CharField(max_length=100, blank=True, help_text="Hold reference, delivery note, ...")
    staff_user_id = models.BigIntegerField(null=True, blank=True, help_text="The staff member who made it, if any.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "stock ledger"
        indexes = [
            models.Index(fields=["sku_id", "warehouse", "id"], name="ledger_sku_idx"),
            models.Index(fields=["reference"], name="ledger_reference_idx", condition=~models.Q(reference="")),
        ]
        constraints = [
            # A restock reference (cancel-<order>, return-<return>) puts a SKU back in a warehouse once.
            models.UniqueConstraint(
                fields=["reference", "sku_id", "warehouse"],
                condition=models.Q(kind="restock"),
                name="ledger_restock_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} SKU {self.sku_id} @ {self.warehouse_id}"


class Restock(models.Model):
    """Sold units put back on hand once per ``reference`` (a compensated checkout, a
    cancellation, a return): the record that makes ``restock`` idempotent. It outlives
    the hold it came from (holds are pruned; the restock key must still be known)."""

    reference = models.CharField(max_length=100, unique=True)
    hold = models.ForeignKey(Hold, on_delete=models.SET_NULL, null=True, blank=True, related_name="restocks")
    lines = models.JSONField(help_text='[{"sku_id", "warehouse_id", "quantity"}, ...]')
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference
