"""Search housekeeping: scheduled tasks, commands, staff-editable rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from shop.search import projection, tasks
from shop.search.models import PriceRange, SearchInteraction, SearchQueryLog, Suggestion
from shop.search.params import SearchParams
from shop.search.services import record_click, search
from tests.factories_search import index, product

pytestmark = pytest.mark.django_db


def test_process_logs_task_drains_every_pending_row():
    index(product("Garden Hose"))
    for _ in range(3):
        result = search(SearchParams(q="hose"))
        record_click(result.query_id, result.hits[0].product_id)

    assert tasks.process_logs() == 6
    assert not SearchQueryLog.objects.filter(processed_at__isnull=True).exists()


def test_refresh_command_rebuilds_the_suggestions(capsys):
    item = product("Garden Hose", brand="Hozelock")
    projection.refresh_products([item.id])

    call_command("refresh_search_dictionaries")

    assert Suggestion.objects.filter(kind="brand", text="Hozelock").exists()
    assert "refreshed" in capsys.readouterr().out


def test_old_logs_are_pruned_after_the_retention_period(settings):
    index(product("Garden Hose"))
    result = search(SearchParams(q="hose"))
    record_click(result.query_id, result.hits[0].product_id)
    SearchQueryLog.objects.update(created_at=timezone.now() - timedelta(days=settings.SEARCH_LOG_RETENTION_DAYS + 1))
    SearchInteraction.objects.update(created_at=timezone.now() - timedelta(days=settings.SEARCH_LOG_RETENTION_DAYS + 1))

    assert tasks.prune_logs() == 2
    assert not SearchQueryLog.objects.exists()


def test_price_buckets_are_data_staff_can_change(client):
    index(product("Cheap Hose", price=Decimal("150")), product("Fancy Hose", price=Decimal("8000")))
    PriceRange.objects.filter(currency="INR").delete()
    PriceRange.objects.create(currency="INR", min_price=None, max_price=Decimal("1000"), position=0)
    PriceRange.objects.create(currency="INR", min_price=Decimal("1000"), max_price=None, position=1)

    facets = client.get("/api/v1/search/facets/?q=hose&facets=price").json()["facets"]

    assert [(v["label"], v["count"]) for v in facets[0]["values"]] == [("Under 1,000", 1), ("1,000 and above", 1)]


def test_staff_can_see_search_documents_in_the_admin(admin_client):
    index(product("Garden Hose"))

    assert "Garden Hose" in admin_client.get("/admin/search/searchdocument/").content.decode()
    assert admin_client.get("/admin/search/pricerange/").status_code == 200
    assert admin_client.get("/admin/search/rankermodel/").status_code == 200
