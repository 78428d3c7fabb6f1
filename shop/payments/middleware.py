"""Raw card data never reaches our code: a request body carrying card fields is refused here,
before any view, form or log line sees it. The card goes from the browser to the processor;
we only ever accept its payment-method token (``pm_...``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import NoReverseMatch, reverse

from shop.core.api import error_body
from shop.payments.services import CardDataRejected, reject_card_data


class RejectCardDataMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH") and request.path != _webhook_path():
            try:
                reject_card_data(_fields(request))
            except CardDataRejected as rejected:
                if request.path.startswith("/api/"):
                    body = error_body(rejected.code, rejected.message, {rejected.field: [rejected.message]})
                    return JsonResponse(body, status=400)
                return HttpResponseBadRequest(rejected.message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _webhook_path() -> str | None:
    """The processor's webhook is verified by its signature, and its events describe cards."""
    try:
        return reverse("api-payments-webhook")
    except NoReverseMatch:  # a URLconf without the payments API (some tests)
        return None


def _fields(request: HttpRequest) -> Any:
    """The body's fields (a form or JSON); anything else is left to the view. Parsing a form here
    costs nothing extra: Django keeps the result, and CsrfViewMiddleware reads it anyway."""
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return dict(request.POST.lists())
    if request.content_type == "application/json":
        try:
            return json.loads(request.body or b"null")
        except ValueError:
            return None  # the view answers malformed JSON
    return None
