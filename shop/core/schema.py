"""OpenAPI schema conventions (drf-spectacular) shared by every domain's API views.

Every operation documents the shared error body for 4xx answers, and every keyset
list documents the same ``cursor``/``page_size`` parameters and page shape, so the
schema says once what ``shop.core.api`` does once.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: e.g. `invalid`, `not_found`, `throttled`.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Bad input by name (`lines.0.quantity`); empty when no one field is at fault.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's schema, plus the shared error body on every operation's 4XX answers.

    Our list endpoints are plain APIViews answering ``{"results": [...], ...}``; they are
    lists for operation ids too (``orders_list`` beside ``orders_retrieve``).
    """

    def _is_list_view(self, serializer: Any = None) -> bool:
        if serializer is None and self.method == "GET":
            responses = self.get_response_serializers()
            if isinstance(responses, dict):
                responses = responses.get(200) or responses.get("200")
            fields = getattr(force_instance(responses), "fields", None)
            if fields is not None and "results" in fields:
                return True
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        responses.setdefault("4XX", self._get_response_for_code(ErrorSerializer, "4XX", direction=direction))
        return responses


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque cursor from a previous page's `next` or `previous`."),
    OpenApiParameter("page_size", int, description="Items per page (bounded; see the operation)."),
]


def page_of(name: str, item: serializers.Serializer | type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of a keyset page of ``item``: ``{"next", "previous", "results"}``."""
    return inline_serializer(
        name,
        {
            "next": serializers.CharField(allow_null=True, help_text="Cursor of the next page; null on the last."),
            "previous": serializers.CharField(allow_null=True, help_text="Cursor of the previous page."),
            "results": item if isinstance(item, serializers.BaseSerializer) else item(many=True),
        },
    )


CART_TOKEN_PARAMETER = OpenApiParameter(
    "X-Cart-Token",
    str,
    OpenApiParameter.HEADER,
    description="A guest's cart token (from a cart response); merged into the customer's cart at sign-in.",
)
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A new key (1-200 printable ASCII characters, no spaces; a UUID is best) per intended action. "
    "A retry with the same key and body replays the first answer (`Idempotent-Replayed: true`); the same key "
    "with another body is a 422 `idempotency_key_reused`, and while the first request runs, a 409.",
)
