"""Other domains' events feed the recommendations: catalog changes (through the real relay and a
real worker) and orders."""

from __future__ import annotations

import pytest

from shop.cart.events import CartMerged, ItemAdded, ItemRemoved
from shop.catalog import services as catalog
from shop.core.events import envelope_of
from shop.core.models import OutboxEvent
from shop.core.redis import get_redis
from shop.core.tasks import apply_event
from shop.recs import context, handlers, serving
from shop.recs.context import Visitor
from shop.recs.models import Interaction
from tests.conftest import wait_until
from tests.factories import ProductFactory
from tests.factories_orders import place_order
from tests.factories_recs import build_world, small_world_als  # noqa: F401

pytestmark = pytest.mark.usefixtures("small_world_als")
CONSUMER = f"{handlers.record_purchases.__module__}.{handlers.record_purchases.__qualname__}"


@pytest.mark.worker
def test_a_product_going_out_of_stock_leaves_every_list_via_the_worker(celery_worker):
    world = build_world()
    assert world.kettle.id in {c.product_id for c in serving.recommended_for(Visitor(user_id=1)).items}

    catalog.set_availability(world.kettle.id, "out_of_stock")

    wait_until(
        lambda: world.kettle.id not in {c.product_id for c in serving.recommended_for(Visitor(user_id=1)).items},
        message="the kettle to leave customer 1's recommendations",
    )
    assert world.kettle.id not in {c.product_id for c in serving.also_bought(world.teapot.id, Visitor()).items}


@pytest.mark.worker
def test_a_renamed_product_is_shown_with_its_new_name_without_retraining(celery_worker):
    world = build_world()

    catalog.update_product(world.kettle.id, name="Electric Kettle")

    wait_until(
        lambda: any(c.name == "Electric Kettle" for c in serving.recommended_for(Visitor(user_id=1)).items),
        message="the new name in the card",
    )


@pytest.mark.django_db
def test_an_order_records_one_purchase_per_line_once_and_marks_them_just_bought(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the relay and the consumer run eagerly
        place_order(user_id=7, lines=[(10, 100, 2), (11, 110, 1)])
    event = OutboxEvent.objects.get(event_type="orders.OrderCreated")

    rows = list(Interaction.objects.order_by("product_id").values_list("kind", "product_id", "user_id", "quantity"))
    assert rows == [(Interaction.Kind.PURCHASE, 10, 7, 2), (Interaction.Kind.PURCHASE, 11, 7, 1)]
    assert apply_event(CONSUMER, envelope_of_row(event)) is False  # a redelivery is a no-op
    assert Interaction.objects.count() == 2
    pipe = get_redis().pipeline()
    context.queue_read(pipe, Visitor(user_id=7))
    assert context.parse_read(pipe.execute()).bought == {10, 11}


@pytest.mark.django_db
def test_a_guest_order_counts_as_its_own_basket(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(user_id=None, lines=[(10, 100, 1), (12, 120, 1)])

    assert set(Interaction.objects.values_list("session_id", flat=True)) == {f"order:{order.order_id}"}


def envelope_of_row(event: OutboxEvent) -> dict:
    return {
        "id": str(event.event_id),
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
    }


def live(visitor: Visitor) -> context.LiveContext:
    pipe = get_redis().pipeline()
    context.queue_read(pipe, visitor)
    return context.parse_read(pipe.execute())


def deliver(handler, event, django_capture_on_commit_callbacks) -> bool:
    consumer = f"{handler.__module__}.{handler.__qualname__}"
    with django_capture_on_commit_callbacks(execute=True):
        return apply_event(consumer, envelope_of(event))


@pytest.mark.django_db
def test_a_customers_add_to_cart_is_logged_once_and_joins_their_cart_context(django_capture_on_commit_callbacks):
    event = ItemAdded(user_id=7, cart_token="", sku_id=100, product_id=10, quantity=2)

    assert deliver(handlers.record_add_to_cart, event, django_capture_on_commit_callbacks)
    assert not deliver(handlers.record_add_to_cart, event, django_capture_on_commit_callbacks)  # redelivered

    row = Interaction.objects.get()
    assert (row.kind, row.product_id, row.user_id, row.quantity) == (Interaction.Kind.ADD_TO_CART, 10, 7, 2)
    assert live(Visitor(user_id=7)).in_cart == {10}


@pytest.mark.django_db
def test_a_guests_add_to_cart_is_logged_under_their_cart_and_read_by_their_lookups(django_capture_on_commit_callbacks):
    cart_id = "Gu3stCartPublicId_000001"
    deliver(
        handlers.record_add_to_cart,
        ItemAdded(user_id=None, cart_token=cart_id, sku_id=100, product_id=10, quantity=1),
        django_capture_on_commit_callbacks,
    )

    assert Interaction.objects.get().session_id == f"cart:{cart_id}"
    assert live(Visitor(session_id="browser-visitor-01", cart_id=cart_id)).in_cart == {10}


@pytest.mark.django_db
def test_a_removed_cart_item_leaves_the_cart_context(django_capture_on_commit_callbacks):
    deliver(
        handlers.record_add_to_cart,
        ItemAdded(user_id=7, cart_token="", sku_id=100, product_id=10, quantity=1),
        django_capture_on_commit_callbacks,
    )

    deliver(
        handlers.forget_removed_cart_item,
        ItemRemoved(user_id=7, cart_token="", sku_id=100, product_id=10),
        django_capture_on_commit_callbacks,
    )

    assert live(Visitor(user_id=7)).in_cart == set()
    assert Interaction.objects.count() == 1  # the log is append-only: the add still counts


@pytest.mark.django_db
def test_a_merged_guest_cart_becomes_the_customers_cart_context(django_capture_on_commit_callbacks):
    product = ProductFactory()

    deliver(
        handlers.carry_merged_cart,
        CartMerged(user_id=7, cart_token="Gu3stCartPublicId_000002", sku_ids=[product.skus.get().id, 987654]),
        django_capture_on_commit_callbacks,
    )

    assert live(Visitor(user_id=7)).in_cart == {product.id}
