"""The payments emulator as a real process for the tests (loaded by conftest's pytest_plugins).

``payments_emulator`` starts ``python -m payments_emulator`` once per session on a free port
with a temporary SQLite file, and exports STRIPE_* in ``os.environ`` so processes started
later (a Celery worker) use it too. ``stripe_emulator`` points this process's settings at it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", ROOT / "test-output"))
SECRET_KEY = "sk_test_emulator"
PUBLISHABLE_KEY = "pk_test_emulator"
WEBHOOK_SECRET = "whsec_test_suite_only"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EmulatorProcess:
    def __init__(self, data: Path, log_path: Path) -> None:
        self.data = data
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "payments_emulator", "--port", str(self.port), "--data", str(self.data), *extra],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the payments emulator exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("the payments emulator did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)

    def client(self, key: str = SECRET_KEY, **options: object) -> stripe.StripeClient:
        return stripe.StripeClient(key, base_addresses={"api": self.url}, **options)


@pytest.fixture(scope="session")
def payments_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "state.sqlite3", OUTPUT_DIR / "emulator.log")
    emulator.start("--log-level", "WARNING")
    exported = {
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    saved = {name: os.environ.get(name) for name in exported}
    os.environ.update(exported)
    yield emulator
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    emulator.stop()


@pytest.fixture
def stripe_emulator(payments_emulator: EmulatorProcess, settings) -> EmulatorProcess:
    """This process's payments settings pointed at the session's emulator."""
    settings.STRIPE_API_BASE = payments_emulator.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return payments_emulator
