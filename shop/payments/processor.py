"""The processor, through the official ``stripe`` SDK: Stripe itself, or the local emulator.

``STRIPE_API_BASE`` (empty = Stripe) decides where the SDK sends requests; nothing else in
the code knows the difference. Every mutating call carries the caller's idempotency key, and
the SDK's own network retries reuse it. SDK errors become the few outcomes the services act
on: a decline (with the intent it left behind), a refusal (a request the processor will
never accept), a reused key, or unavailability (worth retrying later with the same key).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)


class Declined(Exception):
    """The card was declined (HTTP 402); ``intent`` is the PaymentIntent it left, if any."""

    def __init__(self, code: str, message: str, intent: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.intent = intent


class Refused(Exception):
    """A request the processor rejects as such (bad state, amount, unknown payment method)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class KeyReused(Exception):
    """The idempotency key was used before with different parameters."""


class BadSignature(Exception):
    """A webhook whose signature does not verify: forged, altered, or replayed too late."""


class Unavailable(Exception):
    """The processor could not be reached or failed; the same call with the same key may succeed later."""


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    addresses: dict[str, str | None] = {"api": api_base} if api_base else {}
    return stripe.StripeClient(
        api_key,
        base_addresses=addresses,  # type: ignore[arg-type]
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client() -> stripe.StripeClient:
    """One client per configuration (settings can change between tests); it holds no business state."""
    if not settings.STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("STRIPE_SECRET_KEY is not set: payments cannot reach a processor.")
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        float(settings.STRIPE_TIMEOUT),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _translate(error: stripe.StripeError) -> Exception:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail = body.get("error") or {}
    message = detail.get("message") or str(error)
    if isinstance(error, stripe.CardError):
        code = detail.get("decline_code") or detail.get("code") or "card_declined"
        return Declined(code, message, detail.get("payment_intent"))
    if isinstance(error, stripe.IdempotencyError):
        return KeyReused(message)
    if isinstance(error, stripe.InvalidRequestError):
        return Refused(detail.get("code") or "invalid_request", message)
    if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
        log.error("the payment processor refused our credentials: %s", message)
    return Unavailable(message)


def _options(key: str) -> stripe.RequestOptions:
    return {"idempotency_key": key}


def send(kind: str, request: dict[str, Any], key: str) -> dict[str, Any]:
    """Perform (or replay) one operation; returns the PaymentIntent or Refund as a plain dict."""
    v1 = client().v1
    params = request["params"]
    try:
        if kind == "authorize":
            result: Any = v1.payment_intents.create(params=params, options=_options(key))
        elif kind == "capture":
            result = v1.payment_intents.capture(request["intent"], params=params, options=_options(key))
        elif kind == "void":
            result = v1.payment_intents.cancel(request["intent"], params=params, options=_options(key))
        elif kind == "refund":
            result = v1.refunds.create(params=params, options=_options(key))
        else:
            raise ValueError(f"unknown payment operation {kind!r}")
    except stripe.StripeError as error:
        raise _translate(error) from error
    return result.to_dict()


def retrieve_intent(intent_id: str) -> dict[str, Any]:
    """The intent as the processor has it now, with its charge (card, refunds, multicapture)."""
    try:
        intent = client().v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
    except stripe.StripeError as error:
        raise _translate(error) from error
    return intent.to_dict()


def find_intents(metadata: dict[str, str]) -> list[dict[str, Any]]:
    """Intents whose metadata has these values, newest first (Stripe's search lags writes by
    up to a minute, so this is for reconciling old calls, not for the recent ones)."""
    query = " AND ".join(f"metadata['{key}']:'{value}'" for key, value in metadata.items())
    try:
        found = client().v1.payment_intents.search(params={"query": query, "limit": 10})
    except stripe.StripeError as error:
        raise _translate(error) from error
    return [intent.to_dict() for intent in found.data]


def verify_webhook(payload: bytes, signature: str) -> dict[str, Any]:
    """The event, if ``Stripe-Signature`` proves it came from the processor recently.

    Raises :class:`BadSignature` for a forged, altered or replayed (signed more than
    ``STRIPE_WEBHOOK_TOLERANCE`` seconds ago) delivery, or a body that is not an event.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified.")
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=int(settings.STRIPE_WEBHOOK_TOLERANCE),
        )
    except stripe.SignatureVerificationError as error:
        raise BadSignature(str(error)) from error
    except ValueError as error:  # not UTF-8 or not JSON
        raise BadSignature(f"The body is not a JSON event: {error}") from error
    data = event.to_dict()
    if not isinstance(data.get("data"), dict) or not isinstance(data["data"].get("object"), dict):
        raise BadSignature("The body is not an event.")
    return data
