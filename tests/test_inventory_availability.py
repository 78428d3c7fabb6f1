"""Inventory's events project availability onto catalog products (in stock, low, out).

``relay()`` runs the outbox relay as the commit of each change would (tasks run
eagerly in tests), delivering the events to the catalog's consumer.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from shop.catalog import availability as projection
from shop.catalog import services as catalog
from shop.catalog.models import Product
from shop.core.models import OutboxEvent
from shop.core.tasks import relay_outbox
from shop.inventory import services
from shop.inventory.services import Line
from tests.factories import ProductFactory
from tests.factories_inventory import WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    product = ProductFactory(skus=[{"code": "A"}, {"code": "B"}])
    catalog.set_availability(product.id, "out_of_stock")
    return product


def relay() -> None:
    relay_outbox.delay()


def availability(product: Product) -> str:
    return Product.objects.get(id=product.id).availability


def availability_events(product: Product) -> int:
    return OutboxEvent.objects.filter(
        event_type="catalog.ProductUpdated", payload__product_id=product.id, payload__fields=["availability"]
    ).count()


def test_stock_movements_and_holds_move_the_products_availability(product, settings):
    settings.INVENTORY_LOW_STOCK_THRESHOLD = 5
    a, _b = product.skus.order_by("code")
    warehouse = WarehouseFactory()

    def step(change) -> str:
        change()
        relay()
        return availability(product)

    assert step(lambda: services.receive(a.id, warehouse.id, 10, reason="delivery")) == "in_stock"
    assert step(lambda: services.reserve("order-1", [Line(a.id, 7)])) == "low_stock"
    assert step(lambda: services.commit("order-1")) == "low_stock"
    assert step(lambda: services.reserve("order-2", [Line(a.id, 3)])) == "out_of_stock"
    assert step(lambda: services.release("order-2")) == "low_stock"
    assert step(lambda: services.adjust(a.id, warehouse.id, 20, reason="found in a count")) == "in_stock"


def test_a_product_is_as_available_as_its_best_sku(product):
    a, b = product.skus.order_by("code")
    warehouse = WarehouseFactory()

    services.receive(a.id, warehouse.id, 2, reason="delivery")
    relay()
    assert availability(product) == "low_stock"
    services.receive(b.id, warehouse.id, 50, reason="delivery")
    relay()
    assert availability(product) == "in_stock"


def test_only_a_change_of_status_is_published(product):
    a, _b = product.skus.order_by("code")
    warehouse = WarehouseFactory()
    relay()
    before = availability_events(product)

    services.receive(a.id, warehouse.id, 100, reason="delivery")
    relay()
    for n in range(3):
        services.reserve(f"order-{n}", [Line(a.id, 1)])
        relay()

    assert availability_events(product) == before + 1


def test_the_product_page_shows_the_projected_availability(client, product):
    a, _b = product.skus.order_by("code")
    services.receive(a.id, WarehouseFactory().id, 3, reason="delivery")
    relay()

    page = client.get(f"/p/{product.id}/{product.slug}/").content.decode()

    assert '<p class="stock-low_stock" id="availability">Only a few left</p>' in page
    assert "Only 3 left</option>" in page


def test_a_new_product_is_out_of_stock_until_its_first_stock_arrives():
    shirts = ProductFactory().category  # any category
    created = catalog.create_product(
        name="Linen Shirt", category=shirts, price=Decimal("799"), description="", attributes={}
    )
    sku = created.skus.get()

    assert availability(created) == "out_of_stock"

    services.receive(sku.id, WarehouseFactory().id, 10, reason="first delivery")
    relay()

    assert availability(created) == "in_stock"


def test_refresh_availability_projects_every_product_from_inventory_at_once(capsys):
    stocked, unstocked = ProductFactory(), ProductFactory()
    catalog.set_availability(stocked.id, "out_of_stock")
    services.receive(stocked.skus.get().id, WarehouseFactory().id, 10, reason="bulk load")  # events not relayed

    call_command("refresh_availability", "--batch-size", "1")

    assert (availability(stocked), availability(unstocked)) == ("in_stock", "out_of_stock")
    assert availability_events(stocked) == 2  # set by hand above, then projected
    assert "2 products changed availability" in capsys.readouterr().out


def test_refresh_availability_if_unprojected_does_nothing_once_a_product_shows_stock(capsys):
    shown = ProductFactory()  # in stock, as a projected product is
    hidden = ProductFactory()
    catalog.set_availability(hidden.id, "out_of_stock")
    services.receive(hidden.skus.get().id, WarehouseFactory().id, 10, reason="bulk load")

    call_command("refresh_availability", "--if-unprojected")

    assert availability(hidden) == "out_of_stock"
    assert availability(shown) == "in_stock"
    assert "already projected" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_of_two_projections_racing_on_a_product_the_later_inventory_read_wins(monkeypatch):
    product = ProductFactory()
    sku, warehouse = product.skus.get(), WarehouseFactory()
    services.receive(sku.id, warehouse.id, 10, reason="delivery")
    projection.project([product.id])
    real_read = services.group_availability
    first_has_read = threading.Event()

    def slow_first_read(groups):  # the first projection has read inventory, then is slow to write
        statuses = real_read(groups)
        if threading.current_thread() is not threading.main_thread():
            first_has_read.set()
            time.sleep(0.5)
        return statuses

    monkeypatch.setattr(services, "group_availability", slow_first_read)

    def first_projection() -> None:
        try:
            projection.project([product.id])
        finally:
            connection.close()

    first = threading.Thread(target=first_projection)
    first.start()
    assert first_has_read.wait(10)
    services.adjust(sku.id, warehouse.id, -10, reason="sold out meanwhile")
    projection.project([product.id])  # the newer event's projection
    first.join(10)

    assert availability(product) == "out_of_stock"
