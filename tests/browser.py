"""Headless Chromium for the browser tests: Debian's ``chromium`` package driven by Playwright.

A test tool's own browser download is impossible here, so every browser test launches the
system's Chromium through :func:`launch_chromium`; the suite skips browser tests without it.
"""

from __future__ import annotations

import os
import shutil

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


def launch_chromium(playwright):
    """A headless Chromium from ``playwright`` (a started sync Playwright); skips the test without one."""
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: apt-get install chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
