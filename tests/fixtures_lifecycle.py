"""Fixtures for the order lifecycle tests (loaded by conftest's pytest_plugins)."""

from __future__ import annotations

import pytest

from tests.fixtures_payments import EmulatorProcess

WEBHOOK_SECRET = "whsec_simex_test_suite"


@pytest.fixture
def lifecycle(stripe_emulator: EmulatorProcess, settings, transactional_db) -> EmulatorProcess:
    """Real payments (the emulator), committed transactions (consumers run after commit, as in
    production, eagerly), and the simulators driven step by step by the test."""
    settings.FULFILLMENT_SIMULATION_AUTOPLAY = False
    settings.FULFILLMENT_SIM_WEBHOOK_URL = ""
    settings.FULFILLMENT_SIM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = "http://shop.test"
    return stripe_emulator
