"""Add-to-carts and orders reach search as ranking signals, attributed to the search that led to them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.core.events import envelope_of
from shop.core.tasks import apply_event, relay_outbox
from shop.orders.events import OrderCreated
from shop.search.models import SearchInteraction, SearchQueryLog
from tests.factories_cart import sellable_sku
from tests.factories_search import index

pytestmark = pytest.mark.django_db


def test_a_guests_add_to_cart_is_attributed_to_their_search_through_their_cart():
    api = APIClient()
    first, second = sellable_sku(name="Ceramic Mug"), sellable_sku(name="Ceramic Bowl")
    index(first.product, second.product)
    token = api.post("/api/v1/cart/items/", {"sku_id": first.id}, format="json").json()["token"]
    body = api.get("/api/v1/search/?q=ceramic", headers={"X-Cart-Token": token}).json()

    api.post("/api/v1/cart/items/", {"sku_id": second.id}, format="json", headers={"X-Cart-Token": token})
    relay_outbox.apply()

    log_id = SearchQueryLog.objects.get(token=body["query_id"]).id
    attributed = SearchInteraction.objects.get(kind="cart", product_id=second.product_id)
    assert attributed.query_log_id == log_id
    unattributed = SearchInteraction.objects.get(kind="cart", product_id=first.product_id)
    assert unattributed.query_log_id is None  # added before the search


def test_an_order_counts_as_purchases_of_its_products_once():
    sku = sellable_sku(name="Ceramic Mug")
    event = OrderCreated(
        order_id=1,
        order_number="A-1",
        user_id=None,
        email="a@example.com",
        currency="INR",
        grand_total=Decimal("499.00"),
        lines=[{"product_id": sku.product_id, "sku_id": sku.id, "quantity": 2}],
    )

    # Only search's consumer: the other domains' consumers would look for an order that does not exist.
    assert apply_event("shop.search.handlers.record_order", envelope_of(event))
    assert not apply_event("shop.search.handlers.record_order", envelope_of(event))  # redelivered

    assert list(SearchInteraction.objects.values_list("kind", "product_id")) == [("purchase", sku.product_id)]
