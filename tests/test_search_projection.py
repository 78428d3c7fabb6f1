"""The search read model: catalog events keep one document per active product."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from shop.catalog import services as catalog
from shop.core.tasks import relay_outbox
from shop.search.models import SearchDocument
from shop.search.params import SearchParams
from shop.search.services import search
from shop.search.text import CATEGORY_SEPARATOR as SEP
from tests.conftest import wait_until
from tests.factories_search import category_path, index, product

pytestmark = pytest.mark.django_db


def deliver() -> None:
    """Relay pending events to their consumers now (tasks run eagerly in tests)."""
    relay_outbox.apply()


def test_product_created_through_the_catalog_gets_a_document_when_its_event_is_delivered(
    django_capture_on_commit_callbacks,
):
    shirts = category_path("Clothing", "Shirts")
    with django_capture_on_commit_callbacks(execute=True):
        created = catalog.create_product(
            name="Linen Shirt",
            category=shirts,
            price=Decimal("799"),
            description="Breathable summer linen",
            attributes={},
            fast_delivery=True,
        )

    doc = SearchDocument.objects.get(product_id=created.id)
    assert doc.name == "Linen Shirt"
    assert doc.category_path == ["Clothing", "Shirts"]
    assert doc.category_keys == ["Clothing", f"Clothing{SEP}Shirts"]
    assert doc.fast_delivery
    assert not doc.in_stock  # nothing received yet: inventory is the truth
    assert search(SearchParams(q="linen"), log=False).total == 1


def test_price_change_availability_and_rating_update_the_document():
    item = product("Steel Bottle")
    index(item)

    catalog.update_product(item.id, price=Decimal("250.00"))
    catalog.set_availability(item.id, "out_of_stock")
    catalog.set_rating(item.id, Decimal("4.50"), 12)
    deliver()

    doc = SearchDocument.objects.get(product_id=item.id)
    assert doc.price == Decimal("250.00")
    assert doc.availability == "out_of_stock"
    assert not doc.in_stock
    assert (doc.rating_avg, doc.rating_count) == (Decimal("4.50"), 12)


def test_deactivated_product_leaves_the_index():
    item = product("Old Lamp")
    index(item)

    catalog.update_product(item.id, is_active=False)
    deliver()

    assert not SearchDocument.objects.filter(product_id=item.id).exists()


def test_renamed_category_renames_the_path_of_every_document_below_it(django_capture_on_commit_callbacks):
    shirts = category_path("Clothing", "Shirts")
    items = [product(f"Shirt {n}", category=shirts) for n in range(3)]
    index(*items)
    clothing = category_path("Clothing")

    clothing.name = "Apparel"
    clothing.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        catalog.record_category_change(clothing)
        # the relay runs after this commit; the consumer then queues the subtree re-index after its own
    with django_capture_on_commit_callbacks(execute=True):
        deliver()

    assert set(SearchDocument.objects.values_list("category_text", flat=True)) == {"Apparel Shirts"}


def test_applying_the_same_event_twice_leaves_one_identical_document():
    item = product("Wool Scarf")
    index(item)
    first = SearchDocument.objects.values("name", "price", "category_keys").get(product_id=item.id)

    index(item)

    assert SearchDocument.objects.filter(product_id=item.id).count() == 1
    assert SearchDocument.objects.values("name", "price", "category_keys").get(product_id=item.id) == first


def test_rebuild_command_indexes_every_product_and_drops_stale_documents(capsys):
    kept = product("Kept Kettle")
    gone = product("Gone Toaster")
    index(kept, gone)
    gone.delete()
    product("New Mixer")

    call_command("rebuild_search_index")

    assert set(SearchDocument.objects.values_list("name", flat=True)) == {"Kept Kettle", "New Mixer"}
    assert "Indexed 2 products, removed 1 stale" in capsys.readouterr().out


@pytest.mark.worker
def test_an_event_updates_its_document_within_seconds_through_a_real_worker(celery_worker):
    item = product("Cast Iron Pan", price=Decimal("900.00"))
    index(item)

    catalog.update_product(item.id, price=Decimal("750.00"), name="Cast Iron Skillet")

    wait_until(
        lambda: SearchDocument.objects.filter(
            product_id=item.id, name="Cast Iron Skillet", price=Decimal("750.00")
        ).exists(),
        timeout=10,
        message="the search document to follow the catalog",
    )
