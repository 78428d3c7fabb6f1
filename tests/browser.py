"""Headless Chromium for the browser tests (loaded by conftest's pytest_plugins).

Debian's ``chromium`` package drives the pages (a test tool's own browser download is not
possible here); without it every browser test skips. One browser is launched per session
(``chromium``); each test gets a fresh context (cookies, storage) and page (``page``), and
``new_page`` opens more for tests with several shoppers. ``request_log`` records every request
that reached the live server, bodies included, so a test can prove what never did.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The session's headless Chromium, launched on first use."""
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: apt-get install chromium")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's guard would refuse
    # every ORM call the test makes beside the browser.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[[], Any]]:
    """Open a page in a context of its own (a separate shopper); all closed after the test."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = chromium.new_context(viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """A fresh page for one shopper."""
    return new_page()


@dataclass
class RequestLog:
    """Every request the live server received: method, path and raw body."""

    entries: list[tuple[str, str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, body: bytes) -> None:
        with self.lock:
            self.entries.append((method, path, body))

    def containing(self, pattern: str) -> list[str]:
        """The requests whose path or body matches ``pattern`` (a regex over bytes and text)."""
        needle = re.compile(pattern.encode())
        return [f"{method} {path}" for method, path, body in self.entries if needle.search(path.encode() + body)]

    def posts(self) -> list[str]:
        return [path for method, path, _ in self.entries if method == "POST"]


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


class Screenshots:
    """Numbered full-page screenshots of one journey: ``<folder>/<NN>-<step>.png``."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    def __call__(self, page: Any, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
