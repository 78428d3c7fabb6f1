"""Headless Chromium for the browser tests: Debian's ``chromium`` package driven by Playwright,
and what the journeys record of it. The fixtures are in ``tests/fixtures_browser.py``.

A test tool's own browser download is not possible here, so every browser test launches the
system's Chromium through :func:`launch_chromium`; without it, browser tests skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
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
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium from ``playwright`` (a started sync Playwright); skips the test without one."""
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: apt-get install chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


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
