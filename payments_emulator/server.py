"""The HTTP side: routing, API-key auth, idempotency keys, CORS, and the two browser pages.

Requests are form-encoded like Stripe's (``application/x-www-form-urlencoded`` with bracket
notation) and answered with Stripe-shaped JSON. A ``POST`` with an ``Idempotency-Key``
header is executed once: the same key with the same method, path and parameters replays the
saved answer (``Idempotent-Replayed: true``); with anything different it is a 400
``idempotency_error``. Keys are remembered for ``idempotency_ttl`` seconds (24 h, as Stripe).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from payments_emulator import api
from payments_emulator.encoding import decode_form
from payments_emulator.errors import StripeError
from payments_emulator.store import Store, new_id
from payments_emulator.webhooks import API_VERSION, Deliverer

log = logging.getLogger("payments_emulator")

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 256 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Stripe-Version",
    "Access-Control-Max-Age": "600",
}


@dataclass
class Config:
    secret_keys: set[str]
    publishable_keys: set[str]
    idempotency_ttl: float = 24 * 3600
    latency: float = 0.0
    public_url: str = ""


Handler = Callable[..., api.Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    publishable: bool = False  # the browser may call it with the publishable key


def _route(method: str, path: str, handler: Handler, publishable: bool = False) -> Route:
    return Route(method, re.compile("^" + path.replace("{id}", r"([A-Za-z0-9_]+)") + "$"), handler, publishable)


ROUTES = [
    _route("POST", "/v1/payment_methods", api.create_payment_method, publishable=True),
    _route("GET", "/v1/payment_methods/{id}", api.retrieve_payment_method),
    _route("POST", "/v1/payment_intents", api.create_payment_intent),
    _route("GET", "/v1/payment_intents", api.list_payment_intents),
    _route("GET", "/v1/payment_intents/search", api.search_payment_intents),
    _route("GET", "/v1/payment_intents/{id}", api.retrieve_payment_intent),
    _route("POST", "/v1/payment_intents/{id}/confirm", api.confirm_payment_intent),
    _route("POST", "/v1/payment_intents/{id}/capture", api.capture_payment_intent),
    _route("POST", "/v1/payment_intents/{id}/cancel", api.cancel_payment_intent),
    _route("GET", "/v1/charges/{id}", api.retrieve_charge),
    _route("POST", "/v1/refunds", api.create_refund),
    _route("GET", "/v1/refunds/{id}", api.retrieve_refund),
    _route("POST", "/v1/webhook_endpoints", api.create_webhook_endpoint),
    _route("GET", "/v1/webhook_endpoints", api.list_webhook_endpoints),
    _route("DELETE", "/v1/webhook_endpoints/{id}", api.delete_webhook_endpoint),
    _route("GET", "/v1/events", api.list_events),
    _route("GET", "/v1/events/{id}", api.retrieve_event),
]


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, body: dict[str, Any], **headers: str) -> Answer:
    return Answer(status, json.dumps(body, indent=2).encode(), headers=headers)


class Emulator:
    """Everything a request needs: the store, the keys, the webhook deliverer."""

    def __init__(self, store: Store, config: Config, deliverer: Deliverer) -> None:
        self.store = store
        self.config = config
        self.deliverer = deliverer

    def api(self, method: str, path: str, query: str, headers: Any, body: str, base_url: str) -> Answer:
        request_id = new_id("req", 14)
        route, args = self._match(method, path)
        if route is None:
            return _json(
                404,
                StripeError(404, f"Unrecognized request URL ({method}: {path}).").response(),
                **{"Request-Id": request_id},
            )
        try:
            self._authenticate(headers.get("Authorization", ""), route)
            params = decode_form(body if method == "POST" else query)
        except StripeError as error:
            return _json(error.status, error.response(), **{"Request-Id": request_id})
        key = headers.get("Idempotency-Key") if method == "POST" else None
        if key is not None and not 0 < len(key) <= 255:
            error = StripeError(400, "Idempotency-Key must be 1 to 255 characters.", type="idempotency_error")
            return _json(400, error.response(), **{"Request-Id": request_id})
        if self.config.latency:
            time.sleep(self.config.latency)
        api_key = self._key(headers.get("Authorization", ""))
        call = api.Call(self.store, params, request_id, key, base_url)
        answer = self._execute(route, args, call, method, path, api_key, key)
        answer.headers.setdefault("Request-Id", request_id)
        answer.headers["Stripe-Version"] = headers.get("Stripe-Version") or API_VERSION
        if key:
            answer.headers["Idempotency-Key"] = key
        self.deliverer.wake.set()
        return answer

    def _execute(
        self, route: Route, args: tuple[str, ...], call: api.Call, method: str, path: str, api_key: str, key: str | None
    ) -> Answer:
        fingerprint = json.dumps(call.params, sort_keys=True)
        with self.store.transaction() as store:
            if key is not None:
                saved = store.idempotent_result(api_key, key, self.config.idempotency_ttl)
                if saved is not None:
                    if (saved["method"], saved["path"], saved["params"]) != (method, path, fingerprint):
                        error = StripeError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{key}' if you meant to execute a "
                            "different request.",
                            type="idempotency_error",
                        )
                        return _json(400, error.response())
                    return Answer(
                        saved["status"],
                        saved["body"].encode(),
                        headers={"Idempotent-Replayed": "true", "Original-Request": saved["request_id"]},
                    )
            stored = True
            try:
                with store.savepoint():
                    status, body = route.handler(call, *args)
            except StripeError as error:
                status, body, stored = error.status, error.response(), error.stored
            text = json.dumps(body, indent=2)
            if key is not None and stored:
                store.save_idempotent_result(api_key, key, method, path, fingerprint, status, text, call.request_id)
        return Answer(status, text.encode())

    def _match(self, method: str, path: str) -> tuple[Route | None, tuple[str, ...]]:
        for route in ROUTES:
            if route.method == method and (match := route.pattern.match(path)):
                return route, match.groups()
        return None, ()

    @staticmethod
    def _key(authorization: str) -> str:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode().partition(":")[0]
            except ValueError:
                return ""
        return ""

    def _authenticate(self, authorization: str, route: Route) -> None:
        key = self._key(authorization)
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if key in self.config.publishable_keys:
            if not route.publishable:
                raise StripeError(
                    401, "This API call cannot be made with a publishable API key. Please use a secret API key."
                )
            return
        if key not in self.config.secret_keys:
            shown = f"{key[:8]}{'*' * (len(key) - 12)}{key[-4:]}" if len(key) > 12 else "*" * len(key)
            raise StripeError(401, f"Invalid API Key provided: {shown}")

    # --- The 3D Secure page (the bank's challenge, in a real payment) ------------------------

    def challenge_page(self, intent_id: str, query: str) -> Answer:
        client_secret = dict(parse_qsl(query)).get("client_secret", "")
        with self.store.transaction() as store:
            intent = store.find(intent_id, "payment_intent")
        if intent is None or intent["client_secret"] != client_secret:
            return Answer(404, b"<!doctype html><title>Not found</title><p>No such payment.", "text/html")
        amount = f"{intent['amount']} {intent['currency'].upper()} (minor units)"
        secret = html.escape(client_secret, quote=True)
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authenticate your payment</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1>3D Secure test page</h1>
<p>The payments emulator stands in for the card issuer. Payment <code>{html.escape(intent_id)}</code>: {amount}.</p>
<p>Status: <strong>{html.escape(intent["status"])}</strong></p>
<form method="post">
  <input type="hidden" name="client_secret" value="{secret}">
  <button type="submit" name="result" value="succeed">Complete authentication</button>
  <button type="submit" name="result" value="fail">Fail authentication</button>
</form>
</body></html>"""
        return Answer(200, page.encode(), "text/html; charset=utf-8")

    def answer_challenge(self, intent_id: str, body: str, base_url: str) -> Answer:
        form = dict(parse_qsl(body))
        succeed = form.get("result") == "succeed"
        call = api.Call(self.store, {}, new_id("req", 14), None, base_url)
        try:
            with self.store.transaction():
                intent = api.authenticate(call, intent_id, form.get("client_secret", ""), succeed)
        except StripeError as error:
            return _json(error.status, error.response())
        self.deliverer.wake.set()
        return_url = intent.get("_return_url")
        if not return_url:
            text = f"<!doctype html><title>Done</title><p>Authentication {'completed' if succeed else 'failed'}."
            return Answer(200, text.encode(), "text/html; charset=utf-8")
        outcome = {
            "payment_intent": intent_id,
            "payment_intent_client_secret": intent["client_secret"],
            "redirect_status": "succeeded" if intent["status"] in ("requires_capture", "succeeded") else "failed",
        }
        separator = "&" if urlsplit(return_url).query else "?"
        return Answer(303, b"", "text/plain", {"Location": f"{return_url}{separator}{urlencode(outcome)}"})


class RequestHandler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = "payments-emulator/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._send(Answer(204, b"", "text/plain"))

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(_json(413, StripeError(413, "Request body too large.").response()))
            self.close_connection = True
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        base_url = emulator.config.public_url or f"http://{self.headers.get('Host') or '127.0.0.1'}"
        try:
            if parts.path.startswith("/v1/"):
                answer = emulator.api(method, parts.path, parts.query, self.headers, body, base_url)
            elif parts.path == "/js/stripe-emulator.js" and method == "GET":
                answer = Answer(200, (STATIC_DIR / "stripe-emulator.js").read_bytes(), "application/javascript")
            elif (match := re.fullmatch(r"/3ds/([A-Za-z0-9_]+)", parts.path)) and method in ("GET", "POST"):
                if method == "GET":
                    answer = emulator.challenge_page(match.group(1), parts.query)
                else:
                    answer = emulator.answer_challenge(match.group(1), body, base_url)
            elif parts.path == "/healthz":
                answer = Answer(200, b"ok", "text/plain")
            else:
                answer = _json(404, StripeError(404, f"Unrecognized request URL ({method}: {parts.path}).").response())
        except Exception:
            log.exception("%s %s failed", method, parts.path)
            answer = _json(500, {"error": {"type": "api_error", "message": "The emulator failed; see its log."}})
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in {**CORS_HEADERS, **answer.headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, RequestHandler)
        self.emulator = emulator
