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
from tests.factories_accounts import UserFactory
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
    _journey_worker: WorkerProcess, celery_worker: WorkerProcess, stripe_emulator: Any, live_server: Any,
    request_log: RequestLog, settings: Any,
) -> Store:
    """A small footwear catalog, stocked and indexed for search, on the live server."""
    settings.FULFILLMENT_SIMULATION_AUTOPLAY = False
    settings.FULFILLMENT_SIM_WEBHOOK_URL = ""
    default_pricing()
    shoes = category_path("Footwear", "Sports Shoes")
    sandals = category_path("Footwear", "Sandals")
    sizes = [{"variant_attributes": {"Size": size}, "code": f"STR-RUN-{size}"} for size in ("8", "9", "10")]
    items = {
        "running": product(
            "Stride Running Shoe", category=shoes, brand="Stride", price=Decimal("2499"), fast_delivery=True,
            skus=sizes, description="A light running shoe with a cushioned sole.",
        ),
        "walking": product("Stride Walking Shoe", category=shoes, brand="Stride", price=Decimal("1999")),
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
    page.locator("[data-checkout-status][data-state='completed'], [data-checkout-status][data-state='failed']").wait_for(
        timeout=30_000
    )


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
    expect(page, "so we show results for")
    assert page.locator(".spelling strong").inner_text() == "running shoe"
    shot(page, "typo-corrected")

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
