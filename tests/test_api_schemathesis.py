"""Schemathesis fuzzes every operation in the OpenAPI schema against the app in-process (WSGI):
no answer is a 500, every answer's status is one the schema lists, and its body matches the
schema. A bounded number of examples per operation keeps the run short enough for CI."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.factories_accounts import UserFactory
from tests.factories_cart import sellable_sku

# Per operation. CI runs a fixed (derandomized) sample; SCHEMATHESIS_RANDOM=1 with more examples explores.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


# Loaded once at collection, from the app itself (the schema view touches no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def customer_token(db, settings) -> Iterator[str]:
    """A signed-in customer, a product to find, generous rates, and one shared connection."""
    # Generous rates: this test is about answers, not limits (tests/test_api_conventions.py).
    settings.API_THROTTLE_RATES = {scope: "100000/min" for scope in settings.API_THROTTLE_RATES}
    settings.SUPPORT_TICKET_RATE = settings.SUPPORT_MESSAGE_RATE = "100000/min"
    sellable_sku()
    # Like Django's test client: the requests share the test's connection and transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Token.objects.create(user=UserFactory()).key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["customer", "guest"])
def caller(request: pytest.FixtureRequest) -> str:
    """Signed in with a token, and a guest: a guest must get its 401s and 404s, never a 500."""
    return request.param


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("SCHEMATHESIS_RANDOM", "") == "",
)
def test_every_operation_answers_within_its_schema(case, customer_token, caller):
    signing_out = case.method == "DELETE" and case.path == "/api/v1/auth/token/"
    headers = {} if signing_out or caller == "guest" else {"Authorization": f"Token {customer_token}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
