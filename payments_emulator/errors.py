"""Stripe-shaped errors: ``{"error": {"type", "code", "message", ...}}`` with Stripe's HTTP statuses.

The status decides which exception the SDK raises (402 -> ``CardError``, 400/404 ->
``InvalidRequestError`` or ``IdempotencyError`` by type, 401 -> ``AuthenticationError``).
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error response. ``stored`` says whether an idempotent replay may return it: Stripe
    saves the result once the endpoint has started executing, but not for requests that
    failed parameter validation (those may be retried with the same key once fixed)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        stored: bool = True,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body.update(extra)
        self.stored = stored

    def response(self) -> dict[str, Any]:
        return {"error": self.body}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """A parameter the request got wrong: not stored for idempotent replay, as on Stripe."""
    return StripeError(400, message, param=param, code=code or "parameter_invalid", stored=False)


def missing(resource: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {resource}: '{object_id}'", code="resource_missing", param=param, stored=False)


def unexpected_state(message: str) -> StripeError:
    return StripeError(400, message, code="payment_intent_unexpected_state")
