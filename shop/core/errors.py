"""The one error type every domain's services raise when they refuse a request.

It carries what a client needs and nothing about HTTP frameworks: a stable ``code``
for programs, a ``message`` for people, ``fields`` naming the bad input, and the
HTTP ``status`` an API answers with. ``shop.core.api.exception_handler`` turns any
of them into ``{"error": {"code", "message", "fields"}}``, so no app needs its own
wrapper exception or error-to-response mapping.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request a domain refuses; nothing was changed. Subclasses set ``code`` and ``status``."""

    code = "invalid"
    status = 400

    def __init__(
        self,
        message: str,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        if status:
            self.status = status
