"""The payments emulator speaks Stripe: the real stripe SDK against the emulator process."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.conftest import wait_until
from tests.factories_payments import new_reference
from tests.fixtures_payments import PUBLISHABLE_KEY

NEXT_YEAR = dt.date.today().year + 1


def intent_params(**overrides) -> dict:
    return {
        "amount": 2000,
        "currency": "inr",
        "capture_method": "manual",
        "confirm": True,
        "payment_method": "pm_card_visa",
        "metadata": {"reference": new_reference()},
        **overrides,
    }


def tokenize(emulator, number: str, **card) -> stripe.PaymentMethod:
    browser = emulator.client(PUBLISHABLE_KEY)
    details = {"number": number, "exp_month": 12, "exp_year": NEXT_YEAR, "cvc": "123", **card}
    return browser.v1.payment_methods.create(params={"type": "card", "card": details})


# --- Tokenization: the browser's endpoint --------------------------------------------------


def test_browser_tokenizes_a_card_with_the_publishable_key(payments_emulator):
    method = tokenize(payments_emulator, "4242 4242 4242 4242")

    assert method.id.startswith("pm_")
    assert (method.card.brand, method.card.last4, method.card.exp_year) == ("visa", "4242", NEXT_YEAR)
    stored = payments_emulator.client().v1.payment_methods.retrieve(method.id).to_dict()
    assert "4242424242424242" not in json.dumps(stored)


def test_tokenization_endpoint_allows_calls_from_any_web_page(payments_emulator):
    request = urllib.request.Request(f"{payments_emulator.url}/v1/payment_methods", method="OPTIONS")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        headers = response.headers

    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in headers["Access-Control-Allow-Headers"]


def test_publishable_key_cannot_move_money(payments_emulator):
    with pytest.raises(stripe.AuthenticationError, match="publishable API key"):
        payments_emulator.client(PUBLISHABLE_KEY).v1.payment_intents.create(params=intent_params())


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "4242424242424241"}, "incorrect_number"),
        ({"number": "4242424242424242", "exp_year": 2001}, "invalid_expiry_year"),
        ({"number": "4242424242424242", "exp_month": 13}, "invalid_expiry_month"),
        ({"number": "4242424242424242", "cvc": "12a"}, "invalid_cvc"),
    ],
)
def test_invalid_card_details_are_card_errors(payments_emulator, card, code):
    with pytest.raises(stripe.CardError) as error:
        tokenize(payments_emulator, **card)

    assert error.value.code == code


def test_a_real_card_number_is_declined_in_test_mode(payments_emulator):
    method = tokenize(payments_emulator, "4111111111111111")

    with pytest.raises(stripe.CardError) as error:
        payments_emulator.client().v1.payment_intents.create(params=intent_params(payment_method=method.id))

    assert error.value.error.decline_code == "test_mode_live_card"


@pytest.mark.parametrize(
    ("number", "code", "decline_code"),
    [
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000009987", "card_declined", "lost_card"),
        ("4000000000000069", "expired_card", "expired_card"),
    ],
)
def test_stripe_test_cards_decline_with_their_documented_codes(payments_emulator, number, code, decline_code):
    method = tokenize(payments_emulator, number)

    with pytest.raises(stripe.CardError) as error:
        payments_emulator.client().v1.payment_intents.create(params=intent_params(payment_method=method.id))

    assert (error.value.http_status, error.value.code, error.value.error.decline_code) == (402, code, decline_code)
    intent = error.value.json_body["error"]["payment_intent"]
    assert (intent["status"], intent["last_payment_error"]["decline_code"]) == ("requires_payment_method", decline_code)


def test_3d_secure_test_card_requires_action(payments_emulator):
    method = tokenize(payments_emulator, "4000002500003155")

    intent = payments_emulator.client().v1.payment_intents.create(
        params=intent_params(payment_method=method.id, return_url="https://shop.test/back")
    )

    assert intent.status == "requires_action"
    assert intent.next_action.type == "redirect_to_url"
    assert intent.next_action.redirect_to_url.url.startswith(f"{payments_emulator.url}/3ds/{intent.id}?client_secret=")


# --- Idempotency -----------------------------------------------------------------------------


def test_same_key_and_parameters_replay_the_first_response(payments_emulator):
    client = payments_emulator.client()
    params, key = intent_params(), new_reference("key")

    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert (
        len(
            client.v1.payment_intents.search(
                params={"query": f"metadata['reference']:'{params['metadata']['reference']}'"}
            ).data
        )
        == 1
    )


def test_same_key_with_other_parameters_is_an_idempotency_error(payments_emulator):
    client = payments_emulator.client()
    key = new_reference("key")
    client.v1.payment_intents.create(params=intent_params(), options={"idempotency_key": key})

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.payment_intents.create(params=intent_params(amount=2500), options={"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create(params={"payment_intent": "pi_x"}, options={"idempotency_key": key})


def test_a_declined_response_is_replayed_too(payments_emulator):
    client = payments_emulator.client()
    params, key = intent_params(payment_method="pm_card_chargeDeclined"), new_reference("key")

    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    with pytest.raises(stripe.CardError) as again:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": key})

    assert again.value.json_body == first.value.json_body
    assert again.value.headers["Idempotent-Replayed"] == "true"


def test_a_request_that_failed_validation_can_be_retried_with_its_key(payments_emulator):
    client = payments_emulator.client()
    key = new_reference("key")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(params=intent_params(amount=10), options={"idempotency_key": key})

    intent = client.v1.payment_intents.create(params=intent_params(), options={"idempotency_key": key})

    assert intent.status == "requires_capture"


# --- PaymentIntent statuses and transitions --------------------------------------------------


def test_payment_intent_moves_through_stripes_statuses(payments_emulator):
    intents = payments_emulator.client().v1.payment_intents

    bare = intents.create(params=intent_params(confirm=False, payment_method=None))
    with_method = intents.create(params=intent_params(confirm=False))
    confirmed = intents.confirm(with_method.id)
    captured = intents.capture(confirmed.id)

    assert bare.status == "requires_payment_method"
    assert with_method.status == "requires_confirmation"
    assert (confirmed.status, confirmed.amount_capturable) == ("requires_capture", 2000)
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 2000, 0)
    assert intents.cancel(bare.id).status == "canceled"


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("captured", "capture"),
        ("captured", "cancel"),
        ("canceled", "capture"),
        ("canceled", "confirm"),
        ("unconfirmed", "capture"),
    ],
)
def test_invalid_transitions_are_refused_with_stripes_error(payments_emulator, setup, action):
    intents = payments_emulator.client().v1.payment_intents
    intent = intents.create(params=intent_params(confirm=setup != "unconfirmed"))
    if setup == "captured":
        intents.capture(intent.id)
    elif setup == "canceled":
        intents.cancel(intent.id)

    with pytest.raises(stripe.InvalidRequestError) as error:
        getattr(intents, action)(intent.id)

    assert error.value.http_status == 400
    assert error.value.code == "payment_intent_unexpected_state"
    assert intents.retrieve(intent.id).status == {"captured": "succeeded", "canceled": "canceled"}.get(
        setup, "requires_confirmation"
    )


def test_multicapture_captures_in_parts_until_the_final_capture(payments_emulator):
    intents = payments_emulator.client().v1.payment_intents
    intent = intents.create(
        params=intent_params(payment_method_options={"card": {"request_multicapture": "if_available"}})
    )

    part = intents.capture(intent.id, params={"amount_to_capture": 500, "final_capture": False})
    final = intents.capture(intent.id, params={"amount_to_capture": 700, "final_capture": True})

    assert (part.status, part.amount_received, part.amount_capturable) == ("requires_capture", 500, 1500)
    assert (final.status, final.amount_received, final.amount_capturable) == ("succeeded", 1200, 0)


def test_non_final_capture_without_multicapture_is_refused(payments_emulator):
    intents = payments_emulator.client().v1.payment_intents
    intent = intents.create(params=intent_params())

    with pytest.raises(stripe.InvalidRequestError) as error:
        intents.capture(intent.id, params={"amount_to_capture": 500, "final_capture": False})

    assert error.value.param == "final_capture"


def test_capture_beyond_the_capturable_amount_is_refused(payments_emulator):
    intents = payments_emulator.client().v1.payment_intents
    intent = intents.create(params=intent_params())

    with pytest.raises(stripe.InvalidRequestError) as error:
        intents.capture(intent.id, params={"amount_to_capture": 2001})

    assert error.value.code == "amount_too_large"


def test_refunds_cover_what_was_captured_and_no_more(payments_emulator):
    client = payments_emulator.client()
    intent = client.v1.payment_intents.create(params=intent_params())
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": intent.id})
    client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})

    partial = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1001})
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id})

    assert (partial.status, partial.amount, rest.amount) == ("succeeded", 500, 1000)
    assert client.v1.refunds.retrieve(rest.id).charge == client.v1.payment_intents.retrieve(intent.id).latest_charge
    assert too_much.value.code == "amount_too_large"
    assert again.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(rest.charge)
    assert (charge.amount_captured, charge.amount_refunded, charge.refunded) == (1500, 1500, True)


# --- Requests the emulator refuses like Stripe -----------------------------------------------


def test_unknown_parameters_objects_and_keys_are_refused(payments_emulator):
    client = payments_emulator.client()

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params=intent_params(colour="blue"))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    with pytest.raises(stripe.AuthenticationError):
        payments_emulator.client("sk_test_wrong").v1.payment_intents.list()

    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_small_amounts_are_refused_like_stripe(payments_emulator):
    with pytest.raises(stripe.InvalidRequestError) as error:
        payments_emulator.client().v1.payment_intents.create(params=intent_params(amount=49))

    assert error.value.code == "amount_too_small"


def test_state_and_idempotency_keys_survive_a_restart(payments_emulator):
    client = payments_emulator.client()
    params, key = intent_params(), new_reference("key")
    intent = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})

    payments_emulator.stop()
    payments_emulator.start("--log-level", "WARNING")

    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
    assert client.v1.payment_intents.create(params=params, options={"idempotency_key": key}).id == intent.id


def test_serves_its_stripe_js_stand_in(payments_emulator):
    with urllib.request.urlopen(f"{payments_emulator.url}/js/stripe-emulator.js", timeout=5) as response:  # noqa: S310
        script = response.read().decode()

    assert response.headers["Content-Type"] == "application/javascript"
    assert "createPaymentMethod" in script


# --- Webhooks --------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on loopback that answers the given statuses in turn, then 200."""

    def __init__(self, statuses: tuple[int, ...] = ()) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_endpoint(payments_emulator, request):
    receiver = Receiver(getattr(request, "param", ()))
    client = payments_emulator.client()
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["payment_intent.amount_capturable_updated"]}
    )
    yield receiver, endpoint
    client.v1.webhook_endpoints.delete(endpoint.id)
    receiver.close()


def test_webhooks_are_signed_so_that_stripe_construct_event_verifies_them(payments_emulator, receiver_endpoint):
    receiver, endpoint = receiver_endpoint
    intent = payments_emulator.client().v1.payment_intents.create(params=intent_params())

    wait_until(lambda: receiver.received, message="a webhook")
    headers, body = receiver.received[0]
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], endpoint.secret)

    assert endpoint.secret.startswith("whsec_")
    assert (event.type, event.data.object.id, event.data.object.status) == (
        "payment_intent.amount_capturable_updated",
        intent.id,
        "requires_capture",
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_someone_else")


@pytest.mark.parametrize("receiver_endpoint", [(500, 503)], indirect=True)
def test_webhook_delivery_is_retried_until_acknowledged(payments_emulator, receiver_endpoint):
    receiver, _ = receiver_endpoint
    payments_emulator.client().v1.payment_intents.create(params=intent_params())

    wait_until(lambda: len(receiver.received) >= 3, timeout=20, message="three delivery attempts")

    assert len({json.loads(body)["id"] for _, body in receiver.received}) == 1
