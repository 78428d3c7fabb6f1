"""Friendly error pages for shoppers (JSON under /api/): 400, 403, 404, 500 and a failed CSRF check."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory

from shop.core import views

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_the_500_page_renders_without_the_database_or_context_processors(django_db_blocker):
    request = RequestFactory().get("/p/1/")
    with django_db_blocker.block():
        response = views.server_error(request)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


def test_403_and_400_pages_are_friendly_and_json_under_the_api():
    request = RequestFactory().get("/accounts/orders/1/")
    forbidden = views.permission_denied(_with_context(request), PermissionDenied())
    bad = views.bad_request(_with_context(request), SuspiciousOperation())

    assert (forbidden.status_code, bad.status_code) == (403, 400)
    assert "This page isn't yours to see" in forbidden.content.decode()
    assert "We couldn't understand that request" in bad.content.decode()
    api = views.permission_denied(RequestFactory().get("/api/v1/orders/"), PermissionDenied())
    assert api["Content-Type"] == "application/json"


def test_a_form_posted_without_its_token_gets_the_friendly_csrf_page():
    response = Client(enforce_csrf_checks=True).post("/cart/add/", {"sku_id": 1, "quantity": 1})

    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()


def _with_context(request):
    """What the middleware would have added: the page's header reads the user and the session's cart."""
    request.user = AnonymousUser()
    request.session = {}
    return request
