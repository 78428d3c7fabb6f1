"""REST API conventions shared by every domain.

Every 4xx has the same body, ``{"error": {"code", "message", "fields"}}``, so a
mobile client needs one error parser for the whole API.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from shop.core.errors import DomainError
from shop.core.keyset import InvalidCursor, KeysetPage

log = logging.getLogger(__name__)


class BadRequest(DomainError):
    """A 400 from the API layer's own checks (a query parameter, the body's shape), with a
    specific code such as ``invalid_parameter``: the one error type, so the one handler."""

    code = "bad_request"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors like its serializers; clients want ``"lines.0.quantity": [...]``."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                fields.update(_flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        first = next(iter(fields.items()), ("", ["Invalid input."]))
        message = first[1][0] if first[0] in ("", "non_field_errors") else f"{first[0]}: {first[1][0]}"
        response.data = error_body("invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = "error"
        response.data = error_body(code, str(detail))
    return response


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such resource."), status=404)


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", "Something went wrong on our side; please retry."), status=500)


def int_param(request: Any, name: str, default: int, *, minimum: int = 1, maximum: int = 100) -> int:
    """A bounded integer query parameter, or a 400 that says what is wrong."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer.", "invalid_parameter", {name: ["Must be an integer."]}) from None
    if not minimum <= value <= maximum:
        message = f"Must be between {minimum} and {maximum}."
        raise BadRequest(f"{name}: {message}", "invalid_parameter", {name: [message]})
    return value


def choice_param(request: Any, name: str, choices: list[str], default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in choices:
        message = f"Must be one of: {', '.join(choices)}."
        raise BadRequest(f"{name}: {message}", "invalid_parameter", {name: [message]})
    return value


MAX_CURSOR_LENGTH = 1000


def page_params(request: Any, default: int = 20, maximum: int = 100) -> tuple[str | None, int]:
    """The shared list parameters: ``cursor`` (opaque, from ``next``/``previous``) and a bounded ``page_size``."""
    size = int_param(request, "page_size", default, maximum=maximum)
    cursor = request.query_params.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    return cursor, size


def page_body(page: KeysetPage[Any], results: list[Any]) -> dict[str, Any]:
    """Every list endpoint's shape: ``{"next", "previous", "results"}`` (cursors, or null at the ends)."""
    return {"next": page.next_cursor, "previous": page.previous_cursor, "results": results}


class SignedWebhookView(APIView):
    """An endpoint a partner (the processor, a carrier) calls, authenticated by a signature over
    the raw body: no session, token, CSRF or rate limit, and nothing parses the body before the
    view has verified it (read ``request.body``, never ``request.data``)."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    parser_classes: list[type] = []
