"""``manage.py seed_stock``: demo warehouses and deterministic, idempotent stock for every SKU."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Sum

from shop.core.models import OutboxEvent
from shop.inventory import services
from shop.inventory.models import LedgerEntry, StockLevel, Warehouse
from shop.inventory.seeding import DEMO_WAREHOUSES, stock_plan
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_seed_stock_stocks_every_sku_once(capsys):
    products = [ProductFactory(skus=[{"code": f"P{n}-A"}, {"code": f"P{n}-B"}]) for n in range(30)]
    sku_ids = [sku.id for product in products for sku in product.skus.all()]

    call_command("seed_stock", "--batch-size", "7", verbosity=0)
    first = sorted(StockLevel.objects.values_list("sku_id", "warehouse__code", "on_hand"))
    events = OutboxEvent.objects.filter(event_type="inventory.StockAdjusted").count()
    call_command("seed_stock", verbosity=0)

    assert sorted(StockLevel.objects.values_list("sku_id", "warehouse__code", "on_hand")) == first
    assert OutboxEvent.objects.filter(event_type="inventory.StockAdjusted").count() == events
    assert {sku_id for sku_id, _code, _on_hand in first} == set(sku_ids)
    assert set(Warehouse.objects.values_list("code", flat=True)) == {w[0] for w in DEMO_WAREHOUSES}
    assert set(Warehouse.objects.values_list("zone", flat=True)) == {"south", "north", "west", "east"}
    assert LedgerEntry.objects.aggregate(Sum("delta"))["delta__sum"] == sum(row[2] for row in first)
    assert "60 SKUs seen" in capsys.readouterr().out


def test_seed_stock_is_a_pure_function_of_the_sku_code():
    assert stock_plan("SHTEAFDHNTFNJGZC", [1, 2, 3, 4]) == stock_plan("SHTEAFDHNTFNJGZC", [1, 2, 3, 4])


def test_seeded_stock_shows_every_state_in_sensible_shares():
    statuses = Counter(
        services.status_for(sum(q for _w, q in stock_plan(f"CODE{n}", [1, 2, 3, 4]))) for n in range(4000)
    )

    assert 0.05 < statuses["out_of_stock"] / 4000 < 0.11
    assert 0.09 < statuses["low_stock"] / 4000 < 0.15
    assert statuses["in_stock"] / 4000 > 0.75


def test_seed_stock_keeps_stock_staff_already_changed():
    product = ProductFactory(skus=[{"code": "KEEP"}])
    sku = product.skus.get()
    call_command("seed_stock", verbosity=0)
    row = StockLevel.objects.filter(sku_id=sku.id).first()
    services.receive(sku.id, row.warehouse_id, 5, reason="delivery")

    call_command("seed_stock", verbosity=0)

    assert StockLevel.objects.get(id=row.id).on_hand == row.on_hand + 5


def test_seed_stock_if_empty_does_nothing_once_there_is_stock(capsys):
    first = ProductFactory(skus=[{"code": "FIRST"}])
    call_command("seed_stock", "--if-empty", verbosity=0)
    later = ProductFactory(skus=[{"code": "LATER"}])

    call_command("seed_stock", "--if-empty", verbosity=0)

    assert StockLevel.objects.filter(sku_id=first.skus.get().id).exists()
    assert not StockLevel.objects.filter(sku_id=later.skus.get().id).exists()
    assert "nothing seeded" in capsys.readouterr().out
