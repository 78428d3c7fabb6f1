"""Browser fixtures (loaded by conftest's pytest_plugins): one headless Chromium for the whole
test session (``browser``), a fresh context and page per shopper (``page``, ``new_page``), and
``request_log``, every request that reached the live server, so a test can prove what never did.

Playwright's sync API marks its event loop as running in this thread between calls, and
Django refuses database calls while a loop runs (and ``asyncio.run`` refuses to start).
So the loop is marked running only while a test that uses the browser runs: every other
test sees the thread as it was, and the one browser still serves the whole session.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections

from tests.browser import DESKTOP, RequestLog, launch_chromium


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
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Open a page in a context of its own (a separate shopper); all closed after the test."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """A fresh page for one shopper, at the desktop viewport."""
    return new_page()


@pytest.fixture
def request_log(live_server: Any) -> Iterator[RequestLog]:
    """Wrap the live server's WSGI application so that every request is logged before Django
    sees it; the original application is put back after the test."""
    log = RequestLog()
    server = live_server.thread.httpd
    application = server.get_app()

    def logging_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        query = environ.get("QUERY_STRING", "")
        log.record(environ["REQUEST_METHOD"], environ["PATH_INFO"] + (f"?{query}" if query else ""), body)
        return application(environ, start_response)

    server.set_app(logging_app)
    yield log
    server.set_app(application)
