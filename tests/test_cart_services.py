"""The cart's rules: lines, limits, prices seen vs now, guest TTL, durability, merge on login."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from shop.cart import services, store
from shop.cart.models import CartLine
from shop.cart.services import CartError, CartOwner
from shop.catalog import services as catalog
from shop.core.models import OutboxEvent
from shop.core.redis import get_redis
from shop.inventory import services as inventory
from shop.inventory.services import Line
from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku

pytestmark = pytest.mark.django_db


def guest() -> tuple[CartOwner, str]:
    token = services.new_guest_token()
    return CartOwner(cart_id=services.cart_id_from_token(token)), token


def quantities(owner: CartOwner) -> dict[int, int]:
    return {item.sku_id: item.quantity for item in services.get_cart(owner).items}


def refused(call, *args) -> CartError:
    with pytest.raises(CartError) as caught:
        call(*args)
    return caught.value


# --- lines and rules ----------------------------------------------------------------------------


def test_adding_an_item_keeps_the_price_seen_and_adding_again_raises_the_quantity():
    sku = sellable_sku("499.00")
    owner, _ = guest()

    services.add_item(owner, sku.id, 2)
    cart = services.add_item(owner, sku.id, 1)

    [item] = cart.items
    assert (item.quantity, item.price_when_added, item.unit_price) == (3, Decimal("499.00"), Decimal("499.00"))
    assert (cart.item_count, cart.subtotal, cart.currency) == (3, Decimal("1497.00"), "INR")
    assert services.item_count(owner) == 3


def test_the_cart_shows_when_the_current_price_differs_from_the_price_seen():
    sku = sellable_sku("499.00")
    owner, _ = guest()
    services.add_item(owner, sku.id, 2)

    catalog.update_product(sku.product_id, price=Decimal("449.00"))
    cart = services.get_cart(owner)

    [item] = cart.items
    assert item.price_changed
    assert (item.price_when_added, item.unit_price, item.line_total) == (
        Decimal("499.00"),
        Decimal("449.00"),
        Decimal("898.00"),
    )
    assert cart.has_price_changes
    assert cart.subtotal == Decimal("898.00")


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "invalid_quantity"),
        (-1, "invalid_quantity"),
        ("2", "invalid_quantity"),
        (True, "invalid_quantity"),
        (1.5, "invalid_quantity"),
        (11, "quantity_limit"),
        (10**12, "quantity_limit"),
    ],
)
def test_bad_quantities_are_refused_with_a_clear_code(quantity, code):
    sku = sellable_sku()
    owner, _ = guest()

    error = refused(services.add_item, owner, sku.id, quantity)

    assert error.code == code
    assert error.status == 400
    assert error.field == "quantity"
    assert quantities(owner) == {}


def test_the_per_line_limit_counts_what_is_already_in_the_cart():
    sku = sellable_sku()
    owner, _ = guest()
    services.add_item(owner, sku.id, 8)

    error = refused(services.add_item, owner, sku.id, 3)

    assert error.code == "quantity_limit"
    assert "you already have 8" in error.message
    assert quantities(owner) == {sku.id: 8}


def test_unknown_and_inactive_skus_are_refused():
    owner, _ = guest()
    inactive = sellable_sku()
    inactive.is_active = False
    inactive.save()
    retired = sellable_sku()
    retired.product.is_active = False
    retired.product.save()

    assert refused(services.add_item, owner, 987654321, 1).code == "unknown_sku"
    assert refused(services.add_item, owner, 2**70, 1).code == "unknown_sku"
    assert refused(services.add_item, owner, inactive.id, 1).code == "unavailable_sku"
    assert refused(services.add_item, owner, retired.id, 1).code == "unavailable_sku"


def test_more_than_is_available_is_refused_with_a_conflict():
    sku = sellable_sku(stock=3)
    empty = sellable_sku(stock=0)
    owner, _ = guest()

    error = refused(services.add_item, owner, sku.id, 4)

    assert (error.code, error.status, error.message) == ("out_of_stock", 409, "Only 3 left in stock.")
    assert refused(services.add_item, owner, empty.id, 1).message == "This item is out of stock."


def test_stock_held_by_checkouts_is_not_available_to_carts():
    sku = sellable_sku(stock=3)
    inventory.reserve("order-1", [Line(sku.id, 2)])
    owner, _ = guest()

    assert refused(services.add_item, owner, sku.id, 2).message == "Only 1 left in stock."


def test_a_cart_holds_a_bounded_number_of_lines(settings):
    settings.CART_MAX_LINES = 2
    owner, _ = guest()
    for _ in range(2):
        services.add_item(owner, sellable_sku().id, 1)

    assert refused(services.add_item, owner, sellable_sku().id, 1).code == "cart_full"


def test_set_quantity_remove_and_clear():
    a, b = sellable_sku(), sellable_sku(stock=4)
    owner, _ = guest()
    services.add_item(owner, a.id, 1)
    services.add_item(owner, b.id, 1)

    services.set_quantity(owner, a.id, 5)
    assert refused(services.set_quantity, owner, b.id, 5).code == "out_of_stock"
    assert refused(services.set_quantity, owner, a.id, 0).code == "invalid_quantity"
    services.remove_item(owner, b.id)
    assert quantities(owner) == {a.id: 5}
    assert refused(services.remove_item, owner, b.id).status == 404
    services.clear(owner)
    assert quantities(owner) == {}


def test_lowering_the_quantity_of_an_item_now_out_of_stock_is_allowed():
    sku = sellable_sku(stock=5)
    owner, _ = guest()
    services.add_item(owner, sku.id, 4)
    inventory.reserve("order-1", [Line(sku.id, 5)])

    services.set_quantity(owner, sku.id, 2)

    [item] = services.get_cart(owner).items
    assert (item.quantity, item.stock_status, item.available_quantity) == (2, "out_of_stock", 0)


def test_a_guest_without_a_cart_has_nothing_to_change():
    owner = CartOwner()
    sku = sellable_sku()

    assert services.get_cart(owner).items == []
    assert refused(services.set_quantity, owner, sku.id, 2).code == "not_in_cart"


def test_adding_publishes_item_added_with_the_guest_cart_id():
    sku = sellable_sku()
    owner, token = guest()

    services.add_item(owner, sku.id, 2)

    [event] = OutboxEvent.objects.filter(event_type="cart.ItemAdded")
    assert event.payload == {
        "user_id": None,
        "cart_token": owner.cart_id,
        "sku_id": sku.id,
        "product_id": sku.product_id,
        "quantity": 2,
    }
    assert token not in str(event.payload)  # the secret token never leaves the cart


def test_removing_publishes_item_removed_for_a_customer():
    sku = sellable_sku()
    owner = CartOwner(user_id=UserFactory().pk)
    services.add_item(owner, sku.id, 1)

    services.remove_item(owner, sku.id)

    [event] = OutboxEvent.objects.filter(event_type="cart.ItemRemoved")
    assert event.payload["user_id"] == owner.user_id
    assert event.payload["sku_id"] == sku.id


# --- tokens -------------------------------------------------------------------------------------


def test_only_tokens_the_store_signed_name_a_cart():
    token = services.new_guest_token()
    cart_id = services.cart_id_from_token(token)

    assert cart_id
    assert services.cart_id_from_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.cart_id_from_token(f"{cart_id}:forged") is None
    assert services.cart_id_from_token("") is None
    assert services.cart_id_from_token("x" * 500) is None


# --- guest carts in Redis -----------------------------------------------------------------------


def test_a_guest_cart_expires_after_its_ttl_and_use_refreshes_it(settings):
    settings.CART_GUEST_TTL_SECONDS = 1
    sku = sellable_sku()
    owner, _ = guest()
    services.add_item(owner, sku.id, 1)
    assert get_redis().pttl(store.GUEST_PREFIX + owner.cart_id) <= 1000

    time.sleep(0.6)
    assert quantities(owner) == {sku.id: 1}  # reading refreshed the TTL
    time.sleep(0.6)
    assert quantities(owner) == {sku.id: 1}  # 1.2 s after the add: alive thanks to the refresh
    time.sleep(1.1)

    assert quantities(owner) == {}


def test_the_default_guest_ttl_is_a_week(settings):
    sku = sellable_sku()
    owner, _ = guest()

    services.add_item(owner, sku.id, 1)

    assert get_redis().ttl(store.GUEST_PREFIX + owner.cart_id) > 7 * 24 * 3600 - 60


# --- customers' carts: Postgres with a write-through Redis copy -------------------------------


def test_a_customers_cart_is_in_postgres_and_written_through_to_redis(django_capture_on_commit_callbacks):
    sku = sellable_sku()
    owner = CartOwner(user_id=UserFactory().pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.add_item(owner, sku.id, 2)

    assert CartLine.objects.get(cart__user_id=owner.user_id).quantity == 2
    cached = get_redis().get(f"{store.USER_PREFIX}{owner.user_id}")
    assert cached.startswith(b"1|")
    assert store.decode(cached.split(b"|", 1)[1])[sku.id].quantity == 2


def test_redis_flushed_the_customers_cart_is_still_there(django_capture_on_commit_callbacks):
    sku = sellable_sku()
    owner = CartOwner(user_id=UserFactory().pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_item(owner, sku.id, 2)

    get_redis().flushdb()

    assert quantities(owner) == {sku.id: 2}
    assert get_redis().exists(f"{store.USER_PREFIX}{owner.user_id}")  # refilled on the read


def test_an_older_copy_never_replaces_a_newer_one_in_redis(django_capture_on_commit_callbacks):
    sku = sellable_sku()
    owner = CartOwner(user_id=UserFactory().pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_item(owner, sku.id, 1)
        services.add_item(owner, sku.id, 1)
    newer = get_redis().get(f"{store.USER_PREFIX}{owner.user_id}")

    store._cache_user(owner.user_id, 1, {})  # a slow writer of version 1 finishing last

    assert get_redis().get(f"{store.USER_PREFIX}{owner.user_id}") == newer
    assert quantities(owner) == {sku.id: 2}


def test_the_same_cart_appears_on_every_device_of_a_customer():
    sku = sellable_sku()
    user_id = UserFactory().pk

    services.add_item(CartOwner(user_id=user_id), sku.id, 1)

    assert quantities(CartOwner(user_id=user_id)) == {sku.id: 1}


def test_the_mini_cart_count_of_a_customer_costs_no_database_query(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    sku = sellable_sku()
    owner = CartOwner(user_id=UserFactory().pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_item(owner, sku.id, 3)

    with django_assert_num_queries(0):
        assert services.item_count(owner) == 3


def test_reading_a_cart_costs_two_queries_whatever_its_size(django_assert_max_num_queries):
    owner, _ = guest()
    for _ in range(5):
        services.add_item(owner, sellable_sku().id, 1)

    with django_assert_max_num_queries(2):
        assert len(services.get_cart(owner).items) == 5


# --- merge on login -----------------------------------------------------------------------------


def test_merge_takes_the_union_and_the_higher_quantity():
    both_more_in_guest, both_more_in_mine, only_guest, only_mine = (sellable_sku() for _ in range(4))
    user_id = UserFactory().pk
    mine = CartOwner(user_id=user_id)
    services.add_item(mine, both_more_in_guest.id, 1)
    services.add_item(mine, both_more_in_mine.id, 4)
    services.add_item(mine, only_mine.id, 2)
    visitor, token = guest()
    services.add_item(visitor, both_more_in_guest.id, 3)
    services.add_item(visitor, both_more_in_mine.id, 2)
    services.add_item(visitor, only_guest.id, 5)

    assert services.merge_guest_cart(token, user_id) == 3

    assert quantities(mine) == {
        both_more_in_guest.id: 3,
        both_more_in_mine.id: 4,
        only_mine.id: 2,
        only_guest.id: 5,
    }
    assert quantities(visitor) == {}  # the guest cart is gone
    [merged] = OutboxEvent.objects.filter(event_type="cart.CartMerged")
    assert merged.payload["cart_token"] == visitor.cart_id


def test_merge_is_idempotent():
    a, b = sellable_sku(), sellable_sku()
    user_id = UserFactory().pk
    services.add_item(CartOwner(user_id=user_id), a.id, 2)
    visitor, token = guest()
    services.add_item(visitor, a.id, 1)
    services.add_item(visitor, b.id, 1)
    lines = store.load_guest(visitor.cart_id)

    services.merge_guest_cart(token, user_id)
    once = quantities(CartOwner(user_id=user_id))
    # A retried login: the guest cart is already gone; and even if the deletion had been
    # lost, applying the same guest lines again gives the same cart.
    assert services.merge_guest_cart(token, user_id) == 0
    get_redis().set(store.GUEST_PREFIX + visitor.cart_id, store.encode(lines))
    services.merge_guest_cart(token, user_id)

    assert quantities(CartOwner(user_id=user_id)) == once == {a.id: 2, b.id: 1}


def test_merge_keeps_the_customers_price_seen():
    sku = sellable_sku("100.00")
    user_id = UserFactory().pk
    services.add_item(CartOwner(user_id=user_id), sku.id, 1)
    catalog.update_product(sku.product_id, price=Decimal("120.00"))
    visitor, token = guest()
    services.add_item(visitor, sku.id, 2)

    services.merge_guest_cart(token, user_id)

    [item] = services.get_cart(CartOwner(user_id=user_id)).items
    assert (item.quantity, item.price_when_added, item.unit_price) == (2, Decimal("100.00"), Decimal("120.00"))


@pytest.mark.parametrize("token", [None, "", "garbage", "abc:def"])
def test_merge_ignores_missing_or_forged_tokens(token):
    assert services.merge_guest_cart(token, UserFactory().pk) == 0
