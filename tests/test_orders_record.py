"""The order record: created once per checkout, with its lines, history and event."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from shop.accounts.models import User
from shop.core.models import OutboxEvent
from shop.core.money import Money
from shop.orders import services
from shop.orders.models import Order, OrderStatus
from tests.factories_orders import place_order


@pytest.mark.django_db
def test_create_order_records_lines_totals_history_and_publishes_order_created():
    order = place_order(user_id=7, lines=[(10, 100, 2), (11, 110, 1)])

    assert order.status == "placed"
    assert order.grand_total == Decimal("368.00")
    assert [(line.sku_id, line.line_total) for line in order.lines] == [
        (100, Decimal("200.00")),
        (110, Decimal("100.00")),
    ]
    event = OutboxEvent.objects.get(event_type="orders.OrderCreated")
    assert event.payload["order_id"] == order.order_id
    assert event.payload["lines"][0] == {"product_id": 10, "sku_id": 100, "quantity": 2}
    assert Order.objects.get(id=order.order_id).history.get().to_status == "placed"


@pytest.mark.django_db
def test_create_order_is_idempotent_on_the_checkout_id():
    first = place_order()
    line = services.NewOrderLine(
        sku_id=1, product_id=1, product_name="x", sku_code="x", quantity=1, unit_price=Decimal("1")
    )
    total = Money.of(1, "INR")

    again = services.create_order(
        checkout_id=first.checkout_id,
        user_id=None,
        email="other@example.com",
        lines=[line],
        totals=services.OrderTotals(total, total, total, total),
        shipping_method="express",
        shipping_address={},
        payment_reference="other",
    )

    assert again == first
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="orders.OrderCreated").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_checkout_create_one_order():
    checkout_id = str(uuid.uuid4())
    line = services.NewOrderLine(
        sku_id=1, product_id=1, product_name="x", sku_code="x", quantity=1, unit_price=Decimal("10")
    )
    total = Money.of(10, "INR")
    results, barrier = [], threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        try:
            results.append(
                services.create_order(
                    checkout_id=checkout_id,
                    user_id=None,
                    email="a@example.com",
                    lines=[line],
                    totals=services.OrderTotals(total, Money.zero("INR"), Money.zero("INR"), total),
                    shipping_method="standard",
                    shipping_address={},
                    payment_reference="p",
                ).order_id
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert len(results) == 8
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_has_purchased_ignores_cancelled_orders_and_other_customers():
    order = place_order(user_id=5, lines=[(42, 420, 1)])

    assert services.has_purchased(5, 42)
    assert not services.has_purchased(6, 42)
    Order.objects.filter(id=order.order_id).update(status=OrderStatus.CANCELLED)
    assert not services.has_purchased(5, 42)


@pytest.fixture
def customer(client):
    user = User.objects.create_user("ann", "ann@example.com", "pw")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_customer_lists_own_orders_newest_first_in_keyset_pages(client, customer):
    mine = [place_order(user_id=customer.id) for _ in range(3)]
    place_order(user_id=customer.id + 1000)

    first = client.get("/api/v1/orders/?page_size=2").json()
    second = client.get(f"/api/v1/orders/?page_size=2&cursor={first['next']}").json()

    ids = [o["id"] for o in first["results"] + second["results"]]
    assert ids == [o.order_id for o in reversed(mine)]


@pytest.mark.django_db
def test_someone_elses_order_is_not_found(client, customer):
    theirs = place_order(user_id=customer.id + 1)

    response = client.get(f"/api/v1/orders/{theirs.order_id}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_orders_api_requires_login(client):
    response = client.get("/api/v1/orders/")

    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.django_db
def test_orders_list_uses_a_bounded_number_of_queries(client, customer, django_assert_max_num_queries):
    for _ in range(10):
        place_order(user_id=customer.id, lines=[(1, 1, 1), (2, 2, 1)])

    with django_assert_max_num_queries(5):
        client.get("/api/v1/orders/?page_size=10")
