"""The shopper's journeys in a real browser: headless Chromium on the live server, with a real
Celery worker (the checkout saga, the event consumers, the emails) and the payments emulator.

Each test is one journey and asserts what the shopper sees at every step; each step's page
is saved as ``test-output/journeys/<journey>/<NN>-<step>.png`` for a person to look at.
The simulated warehouse and carrier are driven step by step (autoplay off), as in
``test_lifecycle_end_to_end``, so every intermediate state can be seen. See docs/journeys.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from shop.accounts import services as accounts
from shop.cart import services as cart
from shop.catalog.models import Product, Sku
from shop.checkout.models import Checkout
from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_carrier, simulated_warehouse
from shop.inventory import services as inventory
from shop.inventory.models import Hold
from shop.notifications.models import Notification
from shop.orders import services as orders
from tests.browser import RequestLog, Screenshots
from tests.conftest import OUTPUT_DIR, WorkerProcess, wait_until, worker_environment
from tests.factories_cart import warehouse
from tests.factories_checkout import BENGALURU, default_pricing
from tests.factories_search import category_path, index, product

pytestmark = [pytest.mark.browser, pytest.mark.worker]

WORKER_ENV = {"FULFILLMENT_SIMULATION_AUTOPLAY": "0", "FULFILLMENT_SIM_WEBHOOK_URL": ""}
CARD, DECLINED_CARD = "4242 4242 4242 4242", "4000 0000 0000 0002"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def _journey_worker(payments_emulator: Any, _worker_process: WorkerProcess) -> Iterator[WorkerProcess]:
    """The session's worker, restarted once for these tests: on the emulator, simulators driven by the test."""
    with worker_environment(_worker_process, WORKER_ENV) as worker:
        yield worker


@dataclass
class Store:
    url: str
    requests: RequestLog
    running: Product  # three sizes, size 10 sold out
    walking: Product
    pace: Product
    sandal: Product
    last_unit: Product  # one unit in stock

    def sku(self, item: Product, position: int = 0) -> Sku:
        return item.skus.get(position=position)


@pytest.fixture
def store(
    _journey_worker: WorkerProcess,
    celery_worker: WorkerProcess,
    stripe_emulator: Any,
    live_server: Any,
    request_log: RequestLog,
    settings: Any,
) -> Store:
    """A small footwear catalog, stocked and indexed for search, on the live server."""
    settings.FULFILLMENT_SIMULATION_AUTOPLAY = False
    settings.FULFILLMENT_SIM_WEBHOOK_URL = ""
    settings.SITE_URL = live_server.url  # the simulated carrier's tracking links are on our site
    default_pricing()
    shoes = category_path("Footwear", "Sports Shoes")
    sandals = category_path("Footwear", "Sandals")
    sizes = [{"variant_attributes": {"Size": size}, "code": f"STR-RUN-{size}"} for size in ("8", "9", "10")]
    items = {
        "running": product(
            "Stride Running Shoe",
            category=shoes,
            brand="Stride",
            price=Decimal("2499"),
            fast_delivery=True,
            skus=sizes,
            description="A light running shoe with a cushioned sole.",
        ),
        "walking": product(
            "Stride Walking Shoe",
            category=shoes,
            brand="Stride",
            price=Decimal("1999"),
            description="Made for runing errands all day.",  # a seller's typo: the misspelled search finds it
        ),
        "pace": product("Pace Running Shoe", category=shoes, brand="Pace", price=Decimal("1499")),
        "sandal": product("Pace Trail Sandal", category=sandals, brand="Pace", price=Decimal("999")),
        "last_unit": product("Limited Edition Racing Flat", category=shoes, brand="Stride", price=Decimal("4999")),
    }
    stock = {"STR-RUN-8": 5, "STR-RUN-9": 5, "STR-RUN-10": 0}
    for item in items.values():
        for sku in item.skus.all():
            quantity = stock.get(sku.code, 1 if item is items["last_unit"] else 20)
            if quantity:
                inventory.receive(sku.id, warehouse().id, quantity, reason="journey stock")
    index(*items.values())
    return Store(url=live_server.url, requests=request_log, **items)


def shots(journey: str) -> Screenshots:
    return Screenshots(OUTPUT_DIR / "journeys" / journey)


def expect(page: Any, text: str) -> None:
    """The shopper sees ``text`` on the page (waits for it)."""
    page.get_by_text(text, exact=False).first.wait_for(state="visible")


def add_to_cart(page: Any, store: Store, item: Product, option: str | None = None, quantity: int = 1) -> None:
    page.goto(f"{store.url}/p/{item.id}/{item.slug}/")
    if option:
        choose_option(page, option)
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page, "Added to your cart.")


def choose_option(page: Any, text: str) -> None:
    picker = page.get_by_label("Choose an option")
    picker.select_option(value=picker.locator("option", has_text=text).get_attribute("value"))


def cart_count(page: Any) -> str:
    return page.locator(".mini-cart .cart-count").inner_text()


def sign_up(page: Any, store: Store, email: str, name: str = "Asha Rao") -> None:
    page.goto(f"{store.url}/accounts/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page, "Welcome! Your account is ready.")


def enter_address(page: Any) -> None:
    page.get_by_label("Full name").fill(BENGALURU["name"])
    page.get_by_label("Address line 1").fill(BENGALURU["line1"])
    page.get_by_label("City").fill(BENGALURU["city"])
    page.get_by_label("State").fill(BENGALURU["region"])
    page.get_by_label("PIN code").fill(BENGALURU["postcode"])
    page.get_by_label("Phone").fill(BENGALURU["phone"])
    page.get_by_role("button", name="Deliver here").click()
    page.locator("#delivery-address").wait_for()


def enter_card(page: Any, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")


def place_order(page: Any) -> None:
    page.get_by_role("button", name="Place your order").click()
    page.locator(
        "[data-checkout-status][data-state='completed'], [data-checkout-status][data-state='failed']"
    ).wait_for(timeout=30_000)


def no_active_holds() -> bool:
    return not Hold.objects.filter(status="held").exists()


# --- 1. A guest finds a product and adds it to the cart ------------------------------------


def test_a_guest_browses_filters_searches_and_adds_a_variant_to_the_cart(store, page):
    shot = shots("1-guest-browses")

    page.goto(store.url)
    page.get_by_role("link", name=re.compile("^Footwear")).click()
    expect(page, "Sports Shoes")
    shot(page, "category")
    page.get_by_role("link", name="Sports Shoes").click()
    expect(page, "4 products")
    assert page.locator(".product-grid li").count() == 4
    shot(page, "subcategory")

    page.get_by_role("link", name=re.compile("Filter these products")).click()
    expect(page, "of 4 results")
    page.get_by_role("link", name=re.compile("Stride")).first.click()
    expect(page, "of 3 results")
    assert page.locator('.facet-value[aria-current="true"]').first.inner_text().startswith("✓")
    names = page.locator(".product-grid h2, .product-grid h3").all_inner_texts()
    assert "Pace Running Shoe" not in " ".join(names)
    shot(page, "filtered-by-brand")

    page.get_by_label("Search products").fill("runing shoe")
    page.get_by_label("Search products").press("Enter")
    expect(page, "Did you mean")
    shot(page, "typo")
    first_hit = page.locator(".product-grid .product-name").first.inner_text()
    assert first_hit == "Stride Walking Shoe"  # the only product with every word, thanks to the seller's typo
    page.get_by_role("link", name="running shoe", exact=True).click()
    page.get_by_role("heading", name="Results for “running shoe”").wait_for()
    top_two = page.locator(".product-grid .product-name").all_inner_texts()[:2]
    assert sorted(top_two) == ["Pace Running Shoe", "Stride Running Shoe"]
    shot(page, "did-you-mean-followed")

    search_box = page.get_by_label("Search products")
    search_box.fill("")
    search_box.press_sequentially("strid", delay=30)
    suggestion = page.get_by_role("option", name=re.compile("Stride Running Shoe"))
    suggestion.wait_for()
    shot(page, "autocomplete")
    suggestion.click()
    page.get_by_role("heading", name="Stride Running Shoe").wait_for()
    options = page.get_by_label("Choose an option")
    assert "Out of stock" in options.locator("option", has_text="Size: 10").inner_text()
    assert options.locator("option", has_text="Size: 10").is_disabled()
    shot(page, "product")

    choose_option(page, "Size: 9")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page, "Added to your cart.")
    assert cart_count(page) == "2"
    page.get_by_role("link", name=re.compile("^Cart")).click()
    row = page.locator("tr", has_text="Stride Running Shoe")
    assert "Size: 9" in row.inner_text()
    shot(page, "cart")


# --- 2. Signing in brings the guest's cart along --------------------------------------------


def test_signing_in_merges_the_guest_cart_into_the_account_cart(store, page):
    shot = shots("2-sign-in-merges-cart")
    customer = accounts.sign_up("ravi@example.com", PASSWORD, "Ravi Kumar")
    cart.add_item(cart.CartOwner(user_id=customer.id), store.sku(store.sandal).id, 1)  # from an earlier visit

    add_to_cart(page, store, store.running, option="Size: 9")
    assert cart_count(page) == "1"
    page.goto(f"{store.url}/cart/")
    assert "Pace Trail Sandal" not in page.locator("main").inner_text()
    shot(page, "guest-cart")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email or username").fill("ravi@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page, "Hello, Ravi")

    assert cart_count(page) == "2"
    main = page.locator("main").inner_text()
    assert "Stride Running Shoe" in main
    assert "Size: 9" in main
    assert "Pace Trail Sandal" in main
    shot(page, "merged-cart")
    items = cart.get_cart(cart.CartOwner(user_id=customer.id)).items
    assert sorted((item.sku_id, item.quantity) for item in items) == sorted(
        [(store.sku(store.running, 1).id, 1), (store.sku(store.sandal).id, 1)]
    )


# --- 3. Checkout: address, shipping, card at the processor, confirmation, email ------------


def checkout_in_browser(page: Any, store: Store, email: str, card: str = CARD, shot: Screenshots | None = None) -> None:
    """A new shopper signs up, adds size 9 to the cart and goes through the checkout pages."""
    add_to_cart(page, store, store.running, option="Size: 9")
    sign_up(page, store, email)
    page.goto(f"{store.url}/cart/")
    if shot:
        shot(page, "cart-after-sign-up")
    page.get_by_role("link", name=re.compile("checkout", re.I)).first.click()
    page.get_by_role("heading", name="1. Delivery address").wait_for()
    enter_address(page)
    page.get_by_label(re.compile("^Express")).check()
    enter_card(page, card)
    if shot:
        shot(page, "checkout-filled")
    place_order(page)


def order_of(page: Any) -> orders.OrderInfo:
    number = page.locator("#order-number").inner_text()
    checkout = Checkout.objects.get(order_number=number)
    order = orders.get_order_by_checkout(str(checkout.id))
    assert order is not None
    return order


def parcel_at_the_warehouse(order: orders.OrderInfo) -> fulfillment.ShipmentInfo:
    """The order's one parcel once its pick instructions reached the warehouse (a worker task
    sends them after the order is placed); only then can the warehouse pick it."""
    return wait_until(
        lambda: next(
            (s for s in fulfillment.shipments_for_order(order.order_id) if s.status == "picking"),
            None,
        ),
        message="the pick instructions to reach the warehouse",
    )


def test_checkout_with_a_card_entered_at_the_processor_places_the_order_and_emails_it(store, page):
    shot = shots("3-checkout")

    checkout_in_browser(page, store, "meera@example.com", shot=shot)

    expect(page, "Thank you, your order is placed")
    order = order_of(page)
    assert "Shipping (express)" in page.locator(".checkout-totals").inner_text()
    assert f"INR {order.grand_total:,.2f}" in page.locator(".checkout-totals").inner_text()
    shot(page, "confirmation")

    # The card went to the processor only: our server got a pm_ token, never a card number.
    assert store.requests.containing(r"4242[ +%20]*4242[ +%20]*4242[ +%20]*4242") == []
    assert store.requests.containing(r"cvc|card_number|exp_month") == []
    assert store.requests.containing(r"payment_method=pm_\w+") == ["POST /checkout/place/"]

    # The worker sends the confirmation email; it names the order.
    email = wait_until(
        lambda: Notification.objects.filter(order_id=order.order_id, kind="order_confirmation", status="sent").first(),
        message="the order confirmation email",
    )
    assert email.recipients == ["meera@example.com"]
    assert order.number in email.subject
    assert "Stride Running Shoe" in email.body_text
    page.set_content(email.body_html)
    shot(page, "confirmation-email")

    page.goto(f"{store.url}/accounts/orders/")
    expect(page, order.number)
    shot(page, "order-list")


# --- 4. Picking, shipping and delivery as the warehouse and carrier advance the order ------


def reload_until(page: Any, text: str, timeout: float = 15) -> None:
    """Reload the page until the shopper sees ``text`` (the worker applies events meanwhile)."""
    wait_until(
        lambda: page.reload() and page.get_by_text(text).count() > 0,
        timeout=timeout,
        interval=0.2,
        message=f"{text!r} on {page.url}",
    )


def test_the_shopper_follows_the_order_through_picking_shipping_and_delivery(store, page):
    shot = shots("4-order-tracking")
    checkout_in_browser(page, store, "kiran@example.com")
    order = order_of(page)
    shipment = parcel_at_the_warehouse(order)
    page.goto(f"{store.url}/accounts/orders/{order.order_id}/")
    reload_until(page, "Payment confirmed")
    assert page.get_by_role("button", name="Cancel this order").is_visible()
    shot(page, "payment-confirmed")

    assert simulated_warehouse.perform(shipment.reference, "pick")
    reload_until(page, "Picked")
    assert page.get_by_role("button", name="Cancel this order").count() == 0
    shot(page, "picked")

    assert simulated_warehouse.perform(shipment.reference, "pack")
    assert simulated_warehouse.perform(shipment.reference, "handover")
    reload_until(page, "Shipped")
    shipment = fulfillment.get_shipment(shipment.shipment_id)
    assert shipment.tracking_number
    label = fulfillment.shipment_label(shipment.shipment_id)  # the carrier's label the warehouse printed
    assert label is not None
    assert label.startswith(b"%PDF")
    expect(page, shipment.tracking_number)
    shot(page, "shipped-with-tracking-number")

    page.get_by_role("link", name=shipment.tracking_number).click()
    page.get_by_role("heading", name=f"Tracking {shipment.tracking_number}").wait_for()
    expect(page, "Handed to the carrier")
    shot(page, "tracking-page")

    for code in ("in_transit", "out_for_delivery"):
        assert simulated_carrier.send_event(shipment.tracking_number, code) == 200
    page.reload()
    assert page.locator("ol.tracking li").count() == 2
    shot(page, "out-for-delivery")

    assert simulated_carrier.send_event(shipment.tracking_number, "delivered") == 200
    page.goto(f"{store.url}/accounts/orders/{order.order_id}/")
    reload_until(page, "Delivered")
    assert page.locator("ol.tracking li").count() == 3
    assert page.get_by_role("link", name="Return items").is_visible()
    shot(page, "delivered")
    wait_until(
        lambda: (
            set(Notification.objects.filter(order_id=order.order_id, status="sent").values_list("kind", flat=True))
            == {"order_confirmation", "shipping", "delivery"}
        ),
        message="the shipping and delivery emails",
    )


# --- 5. A return and its refund -------------------------------------------------------------


def test_the_shopper_returns_a_delivered_item_and_sees_the_refund(store, page):
    shot = shots("5-return-and-refund")
    checkout_in_browser(page, store, "divya@example.com")
    order = order_of(page)
    shipment = parcel_at_the_warehouse(order)
    for step in ("pick", "pack", "handover"):
        assert simulated_warehouse.perform(shipment.reference, step)
    wait_until(lambda: orders.get_order(order.order_id).status == "shipped", message="the capture at handover")
    shipment = fulfillment.get_shipment(shipment.shipment_id)
    for code in ("in_transit", "out_for_delivery", "delivered"):
        assert simulated_carrier.send_event(shipment.tracking_number, code) == 200
    wait_until(lambda: orders.get_order(order.order_id).status == "delivered", message="delivery")

    page.goto(f"{store.url}/accounts/orders/{order.order_id}/")
    page.get_by_role("link", name="Return items").click()
    page.get_by_label(re.compile("Stride Running Shoe")).select_option("1")
    page.get_by_label("Why are you returning these?").select_option("Wrong item")
    shot(page, "return-form")
    page.get_by_role("button", name="Request the return").click()
    page.get_by_role("heading", name="Returns").wait_for()
    shot(page, "return-requested")
    reload_until(page, "Download the return label")
    [ret] = orders.returns_of(order.order_id)
    shot(page, "return-label-ready")

    assert simulated_warehouse.perform(f"RET-{ret.return_id}", "receive_return")
    reload_until(page, "Refunded")
    refund = page.locator("article.shipment", has_text="Return").inner_text()
    assert f"Refund: {ret.currency} {ret.amount:,}" in refund
    assert "refunded" in refund
    shot(page, "refunded")


# --- 6. A declined card ---------------------------------------------------------------------


def test_a_declined_card_says_so_keeps_the_cart_and_holds_no_stock(store, page):
    shot = shots("6-declined-card")
    size_9 = store.sku(store.running, 1)
    before = inventory.stock_of([size_9.id])[size_9.id].available

    checkout_in_browser(page, store, "arjun@example.com", card=DECLINED_CARD)

    expect(page, "Your order was not placed")
    message = page.locator("#failure-message").inner_text()
    assert "Your card was declined" in message
    assert "not been charged" in message
    shot(page, "declined")

    page.get_by_role("link", name="Review your cart").click()
    assert cart_count(page) == "1"
    assert "Stride Running Shoe" in page.locator("main").inner_text()
    shot(page, "cart-intact")
    assert no_active_holds()
    assert inventory.stock_of([size_9.id])[size_9.id].available == before
    assert not Checkout.objects.filter(state="completed").exists()


# --- 7. Two shoppers, one last unit -----------------------------------------------------------


def ready_to_pay(page: Any, store: Store, email: str) -> None:
    add_to_cart(page, store, store.last_unit)
    sign_up(page, store, email)
    page.goto(f"{store.url}/checkout/")
    enter_address(page)
    enter_card(page, CARD)


def test_two_shoppers_race_for_the_last_unit_and_one_is_told_it_is_out_of_stock(store, new_page):
    shot = shots("7-last-unit-race")
    first, second = new_page(), new_page()
    ready_to_pay(first, store, "first@example.com")
    ready_to_pay(second, store, "second@example.com")
    shot(first, "first-ready")
    shot(second, "second-ready")

    buttons = [p.get_by_role("button", name="Place your order") for p in (first, second)]
    for button in buttons:
        button.click(no_wait_after=True)
    outcomes = {}
    for name, shopper in (("first", first), ("second", second)):
        shopper.locator(
            "[data-checkout-status][data-state='completed'], [data-checkout-status][data-state='failed'],"
            " #checkout-error"
        ).first.wait_for(timeout=30_000)
        outcomes[name] = shopper.locator("main").inner_text()
        shot(shopper, f"{name}-outcome")

    placed = [name for name, text in outcomes.items() if "your order is placed" in text]
    refused = [name for name, text in outcomes.items() if "out of stock" in text]
    assert len(placed) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert "Sorry, Limited Edition Racing Flat is out of stock." in outcomes[refused[0]]
    sku = store.sku(store.last_unit)
    assert inventory.stock_of([sku.id])[sku.id].available == 0
    assert no_active_holds()
