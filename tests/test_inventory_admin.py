"""Staff tools: receive and adjust stock with a reason, see holds and the append-only ledger."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from shop.core.models import OutboxEvent
from shop.inventory import services
from shop.inventory.models import Hold, LedgerEntry, StockLevel
from shop.inventory.services import Line
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku
from tests.factories_inventory import WarehouseFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="BLR1")


def test_staff_receive_stock_and_it_is_recorded(client, staff, warehouse):
    sku = sellable_sku(stock=0)

    response = client.post(
        "/admin/inventory/stocklevel/receive/",
        {"sku_id": sku.id, "warehouse": warehouse.id, "quantity": 12, "reason": "Delivery", "reference": "PO-9"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/inventory/stocklevel/?q={sku.id}"
    assert StockLevel.objects.get(sku_id=sku.id).on_hand == 12
    entry = LedgerEntry.objects.get(sku_id=sku.id)
    assert (entry.kind, entry.delta, entry.reference, entry.staff_user_id) == ("receipt", 12, "PO-9", staff.pk)
    assert OutboxEvent.objects.filter(event_type="inventory.StockAdjusted").count() == 1
    listing = client.get(response["Location"]).content.decode()
    assert "Received 12 of SKU" in listing


def test_receiving_for_an_unknown_sku_is_a_form_error(client, staff, warehouse):
    page = client.post(
        "/admin/inventory/stocklevel/receive/",
        {"sku_id": 987654, "warehouse": warehouse.id, "quantity": 1, "reason": "Delivery"},
    ).content.decode()

    assert "There is no SKU with this id" in page
    assert not StockLevel.objects.exists()


def test_staff_adjust_stock_with_a_reason(client, staff, warehouse):
    stock(5, warehouse, 10)
    level = StockLevel.objects.get(sku_id=5)

    page = client.get(f"/admin/inventory/stocklevel/{level.pk}/adjust/").content.decode()
    assert "On hand: <strong>10</strong>" in page
    response = client.post(f"/admin/inventory/stocklevel/{level.pk}/adjust/", {"delta": -3, "reason": "Water damage"})

    assert response.status_code == 302
    assert StockLevel.objects.get(sku_id=5).on_hand == 7
    assert LedgerEntry.objects.filter(kind="adjustment").values_list("delta", "reason").get() == (-3, "Water damage")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"delta": -9, "reason": "Count"}, "are held for checkouts"),
        ({"delta": 0, "reason": "Count"}, "at least one unit"),
        ({"delta": 2, "reason": ""}, "This field is required"),
    ],
)
def test_a_refused_adjustment_is_a_form_error_and_changes_nothing(client, staff, warehouse, form, error):
    stock(5, warehouse, 10)
    services.reserve("order-1", [Line(5, 4)])
    level = StockLevel.objects.get(sku_id=5)

    page = client.post(f"/admin/inventory/stocklevel/{level.pk}/adjust/", form).content.decode()

    assert error in page
    assert StockLevel.objects.get(sku_id=5).on_hand == 10
    assert LedgerEntry.objects.count() == 1


def test_the_stock_list_searches_by_sku_and_rows_open_read_only(client, staff, warehouse):
    stock(5, warehouse, 10)
    stock(6, warehouse, 3)
    level = StockLevel.objects.get(sku_id=6)

    listing = client.get("/admin/inventory/stocklevel/?q=6").content.decode()
    detail = client.get(f"/admin/inventory/stocklevel/{level.pk}/change/")

    assert f"/admin/inventory/stocklevel/{level.pk}/adjust/" in listing
    assert "/admin/inventory/stocklevel/receive/" in listing
    assert client.get("/admin/inventory/stocklevel/?q=nonsense").status_code == 200
    assert detail.status_code == 200
    assert "Save" not in detail.content.decode()


def test_staff_without_the_permission_cannot_move_stock(client, warehouse):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_stocklevel"))
    client.force_login(clerk)
    stock(5, warehouse, 10)

    assert client.get("/admin/inventory/stocklevel/").status_code == 200
    assert client.get("/admin/inventory/stocklevel/receive/").status_code == 403
    level = StockLevel.objects.get(sku_id=5)
    assert (
        client.post(f"/admin/inventory/stocklevel/{level.pk}/adjust/", {"delta": 1, "reason": "x"}).status_code == 403
    )


def test_staff_see_holds_and_can_release_them(client, staff, warehouse):
    stock(5, warehouse, 10)
    services.reserve("order-1", [Line(5, 2)])
    services.reserve("order-2", [Line(5, 3)])
    hold = Hold.objects.get(reference="order-1")

    listing = client.get("/admin/inventory/hold/?status__exact=held").content.decode()
    detail = client.get(f"/admin/inventory/hold/{hold.pk}/change/").content.decode()
    client.post("/admin/inventory/hold/", {"action": "release_holds", "_selected_action": [hold.pk], "index": 0})

    assert "order-1" in listing
    assert "order-2" in listing
    assert re.search(r'class="field-quantity">\s*<p>2</p>', detail)
    assert Hold.objects.get(reference="order-1").status == "released"
    assert StockLevel.objects.get(sku_id=5).reserved == 3


def test_the_ledger_is_read_only_in_the_admin(client, staff, warehouse):
    stock(5, warehouse, 10)
    entry = LedgerEntry.objects.get()

    assert client.get("/admin/inventory/ledgerentry/?q=5").status_code == 200
    assert client.get("/admin/inventory/ledgerentry/add/").status_code == 403
    assert client.post(f"/admin/inventory/ledgerentry/{entry.pk}/delete/").status_code == 403
