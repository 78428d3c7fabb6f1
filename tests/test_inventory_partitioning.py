"""The stock table is hash-partitioned by sku_id, and queries by SKU touch one partition."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from shop.inventory import services
from shop.inventory.models import StockLevel
from shop.inventory.services import Line
from tests.factories_inventory import WarehouseFactory, stock

pytestmark = pytest.mark.django_db


def test_the_stock_table_is_hash_partitioned_by_sku():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.partstrat, a.attname, count(i.inhrelid)
              FROM pg_partitioned_table p
              JOIN pg_class c ON c.oid = p.partrelid
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
              JOIN pg_inherits i ON i.inhparent = c.oid
             WHERE c.relname = 'inventory_stocklevel'
             GROUP BY p.partstrat, a.attname
            """
        )
        assert cursor.fetchone() == ("h", "sku_id", 8)


def test_rows_spread_over_the_partitions():
    warehouse = WarehouseFactory()
    for sku_id in range(1, 65):
        stock(sku_id, warehouse, 1)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT tableoid) FROM inventory_stocklevel")
        assert cursor.fetchone()[0] == 8


def test_a_locking_read_of_one_sku_is_pruned_to_one_partition():
    warehouse = WarehouseFactory()
    stock(42, warehouse, 1)

    with transaction.atomic():
        queryset = StockLevel.objects.select_for_update().filter(sku_id=42, warehouse_id=warehouse.id)
        plan = queryset.explain()
        assert queryset.get().on_hand == 1

    scanned = [line for line in plan.splitlines() if "on inventory_stocklevel_p" in line]
    assert len(scanned) == 1, plan
    assert "LockRows" in plan


def test_reservations_span_partitions():
    warehouse = WarehouseFactory()
    for sku_id in range(1, 9):
        stock(sku_id, warehouse, 2)

    result = services.reserve("order-1", [Line(sku_id, 1) for sku_id in range(1, 9)])

    assert result.ok
    assert sorted(StockLevel.objects.values_list("reserved", flat=True)) == [1] * 8
