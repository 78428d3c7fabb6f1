"""One headless Chromium for the whole test session (loaded by conftest's pytest_plugins).

Playwright's sync API marks its event loop as running in this thread between calls, and
Django refuses database calls while a loop runs (and ``asyncio.run`` refuses to start).
So the loop is marked running only while a test that uses the browser runs: every other
test sees the thread as it was, and the one browser still serves the whole session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import pytest
from django.db import connections

from tests.browser import DESKTOP, launch_chromium


@contextlib.contextmanager
def _playwright_running(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    previous, allowed = asyncio._get_running_loop(), os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    asyncio._set_running_loop(loop)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's own database calls run beside the loop
    try:
        yield
    finally:
        asyncio._set_running_loop(previous)
        if allowed is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def _playwright():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    playwright = sync_playwright().start()
    loop = asyncio.get_running_loop()
    asyncio._set_running_loop(None)
    yield playwright, loop
    with _playwright_running(loop):
        playwright.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    """The session's Chromium; open pages in a context of their own (see ``page``)."""
    playwright, loop = _playwright
    with _playwright_running(loop):
        chromium = launch_chromium(playwright)
    yield chromium
    with _playwright_running(loop):
        chromium.close()


@pytest.fixture(autouse=True)
def _browser_test(request) -> Iterator[None]:
    """Marks Playwright's loop as running for exactly the tests that use the browser."""
    if "browser" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("browser")
    with _playwright_running(request.getfixturevalue("_playwright")[1]):
        yield
        connections.close_all()  # those opened while the loop ran are stored apart (asgiref.local)


@pytest.fixture
def page(browser):
    """A fresh page (own cookies and storage) at the desktop viewport, closed after the test."""
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()
