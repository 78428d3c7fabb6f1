"""What every /api/v1/ endpoint shares (docs/api.md): token and session authentication, one
JSON error body on every 4xx, rate limits counted in Redis, and the OpenAPI schema and docs."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from shop.core.redis import get_redis
from tests.factories_accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOT_OPERATIONS = {"api-schema", "api-docs"}


def signed_in(user=None) -> APIClient:
    user = user or UserFactory()
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def assert_error_body(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)


# --- authentication ------------------------------------------------------------------------


def test_an_anonymous_request_to_a_protected_endpoint_is_a_401_that_asks_for_a_token():
    response = APIClient().get("/api/v1/orders/")

    assert_error_body(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_from_sign_in_authenticates_the_mobile_apps():
    user = UserFactory()

    assert signed_in(user).get("/api/v1/auth/me/").json()["email"] == user.email


def test_a_bad_token_is_a_401_even_on_a_public_endpoint():
    response = APIClient().get("/api/v1/categories/", HTTP_AUTHORIZATION="Token not-a-token")

    assert_error_body(response, 401, "authentication_failed")


def test_the_web_session_authenticates_and_its_unsafe_requests_need_the_csrf_token():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get("/api/v1/auth/me/").json()["email"] == user.email
    refused = client.post("/api/v1/addresses/", {}, format="json")
    assert_error_body(refused, 403, "permission_denied")
    assert "CSRF" in refused.json()["error"]["message"]


# --- one error body on every 4xx -----------------------------------------------------------


def test_an_unknown_api_path_is_the_json_404():
    assert_error_body(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_an_unknown_id_is_the_json_404():
    assert_error_body(APIClient().get("/api/v1/products/999999/"), 404, "not_found")


def test_a_method_the_endpoint_does_not_have_is_a_json_405():
    assert_error_body(APIClient().put("/api/v1/categories/", {}, format="json"), 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_a_json_415():
    response = APIClient().post("/api/v1/auth/token/", "username=a", content_type="application/x-www-form-urlencoded")

    assert_error_body(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_json_400():
    response = APIClient().post("/api/v1/auth/token/", "{not json", content_type="application/json")

    assert_error_body(response, 400, "parse_error")


def test_a_domain_error_answers_with_its_own_status_code():
    response = signed_in().get("/api/v1/support/tickets/987654321/")

    assert_error_body(response, 404, "not_found")


def test_a_bad_cursor_is_a_400_naming_the_cursor_on_every_list():
    client = signed_in()
    for path in ("/api/v1/orders/", "/api/v1/reviews/mine/", "/api/v1/support/tickets/", "/api/v1/products/"):
        response = client.get(path, {"cursor": "not-a-cursor"})

        assert_error_body(response, 400, "invalid_cursor")
        assert "cursor" in response.json()["error"]["fields"]


def test_a_page_size_beyond_the_bound_is_a_400_naming_it():
    response = signed_in().get("/api/v1/orders/", {"page_size": 1000})

    assert_error_body(response, 400, "invalid_parameter")
    assert "page_size" in response.json()["error"]["fields"]


def test_every_keyset_list_answers_next_previous_and_results():
    client = signed_in()
    for path in ("/api/v1/orders/", "/api/v1/reviews/mine/", "/api/v1/support/tickets/", "/api/v1/products/"):
        body = client.get(path).json()

        assert {"next", "previous", "results"} <= set(body)


def test_a_nul_character_in_a_search_parameter_is_a_400_not_a_500():
    response = APIClient().get("/api/v1/search/", {"q": "shirt", "brand": "a\x00b"})

    assert_error_body(response, 400, "invalid_parameter")
    assert "brand" in response.json()["error"]["fields"]


# --- rate limits ---------------------------------------------------------------------------


@pytest.fixture
def tiny_rates(settings):
    settings.API_THROTTLE_RATES = {
        **settings.API_THROTTLE_RATES,
        "auth": "2/min",
        "checkout": "2/min",
        "search": "2/min",
    }


def assert_throttled(responses) -> None:
    assert [r.status_code != 429 for r in responses[:2]] == [True, True]
    assert_error_body(responses[2], 429, "throttled")
    assert 0 < int(responses[2]["Retry-After"]) <= 60


def test_sign_in_is_rate_limited_with_429_and_retry_after(tiny_rates):
    client = APIClient()
    body = {"username": "nobody@example.com", "password": "wrong"}

    assert_throttled([client.post("/api/v1/auth/token/", body, format="json") for _ in range(3)])


def test_sign_up_is_rate_limited_with_429_and_retry_after(tiny_rates):
    client = APIClient()
    body = {"email": "not-an-email", "password": "x"}

    assert_throttled([client.post("/api/v1/auth/signup/", body, format="json") for _ in range(3)])


def test_checkout_is_rate_limited_per_customer_with_429_and_retry_after(tiny_rates):
    client = signed_in()
    attempts = [client.post("/api/v1/checkout", {}, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{n}") for n in range(3)]

    assert_throttled(attempts)
    assert signed_in().post("/api/v1/checkout", {}, format="json").status_code != 429  # another customer


def test_search_is_rate_limited_with_429_and_retry_after(tiny_rates):
    client = APIClient()

    assert_throttled([client.get("/api/v1/search/", {"q": "shirt"}) for _ in range(3)])


def test_rate_limits_are_counted_in_redis(tiny_rates):
    APIClient().get("/api/v1/search/", {"q": "shirt"})

    assert get_redis().keys("*throttle_search*")


# --- the schema and its docs page -----------------------------------------------------------


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    routes: list[tuple[str, URLPattern]] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern, route)
        else:
            routes.append((route, pattern))
    return routes


def _schema_path(route: str) -> str:
    """``api/v1/orders/<id:order_id>/`` (or a regex route) as the schema writes it."""
    route = route.replace("^", "").replace("$", "").replace("/?", "/")
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi_3():
    schema = _schema()

    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_generates_without_a_single_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


def test_the_schema_covers_every_operation_under_api_v1():
    expected = set()
    for route, pattern in _routes(get_resolver()):
        if not route.startswith("api/v1/") or pattern.name in NOT_OPERATIONS:
            continue
        if route == "api/v1/^.*$":  # the JSON 404 for unknown paths
            continue
        view = pattern.callback.cls
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
        expected |= {(_schema_path(route), method) for method in methods}
    documented = {(path, method) for path, operations in _schema()["paths"].items() for method in operations}

    assert documented == expected
    assert len(expected) >= 50


def test_the_schema_and_its_browsable_docs_are_served_without_a_cdn():
    client = APIClient()

    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200
    assert "/api/v1/orders/" in schema.json()["paths"]
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page
    assert "unpkg" not in page
