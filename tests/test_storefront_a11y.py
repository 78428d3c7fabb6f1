"""Every key page in a real browser, at a phone's and a desktop's size: axe-core finds no
serious or critical accessibility violation, nothing overflows sideways, and each page has
its own title, a language, the landmarks and a skip link that reaches the main content."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from shop.accounts.services import save_address
from tests.browser import DESKTOP, PHONE
from tests.factories_cart import sellable_sku
from tests.factories_checkout import default_pricing, shopper
from tests.factories_lifecycle import make_customer
from tests.factories_orders import place_order
from tests.factories_search import index
from tests.factories_support import open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


@pytest.fixture
def store(live_server, client):
    """A product in stock, a signed-in shopper with an address, a cart, an order and a ticket."""
    default_pricing()
    sku = sellable_sku(price="2500.00", name="Titan Analog Watch")
    product = sku.product
    index(product)
    user = make_customer("asha")
    shopper((sku, 1), user=user)
    save_address(  # the first address is the default
        user.id, full_name="Asha Rao", line1="1 MG Road", city="Bengaluru", region="KA", postal_code="560001"
    )
    order = place_order(user_id=user.id, lines=[(product.id, sku.id, 1)])
    ticket = open_ticket(user)
    client.force_login(user)
    guest = [
        ("/", "home"),
        (f"/c/{product.category_id}/", "category"),
        (f"/p/{product.id}/", "product"),
        ("/search/?q=watch", "search"),
        ("/cart/", "cart"),
        ("/accounts/login/", "login"),
        ("/accounts/signup/", "signup"),
        ("/no-such-page/", "404"),
    ]
    shopper_pages = [
        ("/checkout/", "checkout"),
        ("/accounts/", "profile"),
        ("/accounts/profile/", "profile edit"),
        ("/accounts/password/", "password"),
        ("/accounts/addresses/", "addresses"),
        ("/accounts/addresses/new/", "address form"),
        ("/accounts/orders/", "orders"),
        (f"/accounts/orders/{order.order_id}/", "order detail"),
        ("/accounts/returns/", "returns"),
        ("/reviews/mine/", "reviews"),
        ("/accounts/support/", "support"),
        ("/accounts/support/new/", "new ticket"),
        (f"/accounts/support/{ticket.ticket_id}/", "ticket"),
    ]
    return live_server.url, client.cookies["sessionid"].value, guest, shopper_pages


def problems_of(page) -> list[str]:
    """What a shopper on this page would trip over: axe's serious findings and our own checks."""
    found = []
    results = Axe().run(page).response
    for violation in results["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    facts = page.evaluate(
        """() => ({
        overflow: document.scrollingElement.scrollWidth - window.innerWidth,
        lang: document.documentElement.lang,
        landmarks: ['header', 'nav', 'main', 'footer'].filter(t => !document.querySelector(t)),
        skip: !!document.querySelector('a.skip-link[href="#main"]') && !!document.getElementById('main'),
        unlabelled: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !el.labels.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
            .map(el => el.name || el.id),
        noAlt: [...document.querySelectorAll('img:not([alt])')].map(el => el.src),
    })"""
    )
    if facts["overflow"] > 0:
        found.append(f"scrolls sideways by {facts['overflow']}px")
    if not facts["lang"]:
        found.append("no lang attribute")
    if facts["landmarks"]:
        found.append(f"missing landmarks {facts['landmarks']}")
    if not facts["skip"]:
        found.append("no skip link to #main")
    if facts["unlabelled"]:
        found.append(f"unlabelled controls {facts['unlabelled']}")
    if facts["noAlt"]:
        found.append(f"images without alt {facts['noAlt']}")
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_key_pages_pass_axe_and_fit_the_screen(store, browser, viewport):
    base, session, guest, shopper_pages = store
    problems, titles = {}, {}
    for signed_in, pages in ((False, guest), (True, shopper_pages)):
        context = browser.new_context(viewport=viewport)
        if signed_in:
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        for path, name in pages:
            page.goto(base + path)
            titles[name] = page.title()
            found = problems_of(page)
            if found:
                problems[f"{name} {path}"] = found
        context.close()

    assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())
    assert len(set(titles.values())) == len(titles), titles  # every page says what it is
    assert all(title.endswith("· Shop") for title in titles.values()), titles


def tab_to(page, name: str, limit: int = 40) -> int:
    """Press Tab until the focused element's text or label is ``name``; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()")
        if focused == name:
            return presses
    pytest.fail(f"Tab never reached {name!r}")


def test_the_skip_link_shows_on_focus_and_moves_to_the_main_content(store, page):
    base = store[0]
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/")

    page.keyboard.press("Tab")
    skip = page.evaluate(
        """() => { const el = document.activeElement, box = el.getBoundingClientRect();
        return {text: el.innerText, visible: box.left >= 0 && box.right <= innerWidth,
                outline: getComputedStyle(el).outlineStyle}; }"""
    )
    page.keyboard.press("Enter")

    assert skip == {"text": "Skip to content", "visible": True, "outline": "solid"}
    assert page.evaluate("() => location.hash") == "#main"


def test_by_keyboard_a_shopper_reaches_add_to_cart_and_signs_in(store, page):
    base, _, guest, _ = store
    product_path = next(path for path, name in guest if name == "product")
    page.goto(base + product_path)
    tab_to(page, "Add to cart")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cart/**")
    assert "Added to your cart." in page.content()

    page.goto(f"{base}/accounts/login/")
    # Chromium applies autofocus after the load event; typing before it would go nowhere.
    expect(page.get_by_label("Email or username")).to_be_focused()
    page.keyboard.type("asha")
    page.keyboard.press("Tab")
    page.keyboard.type("pw")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    assert "Hello, asha" in page.content()
