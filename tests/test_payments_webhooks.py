"""The processor's webhooks: verified with stripe.Webhook.construct_event, applied once, never backwards."""

from __future__ import annotations

import json
import time

import pytest

from payments_emulator.webhooks import sign
from shop.payments import services
from shop.payments.models import Payment, WebhookEvent
from tests.conftest import wait_until
from tests.factories_payments import (
    Crash,
    answer_3d_secure,
    crash_once_when_recording,
    event_types,
    inr,
    intents_at_processor,
    new_reference,
    published,
)
from tests.fixtures_payments import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhook"


def processor_event(emulator, event_type: str, object_id: str) -> dict:
    """The newest event of ``event_type`` the processor recorded about ``object_id``."""
    events = emulator.client().v1.events.list(params={"type": event_type, "limit": 100})
    for event in events.data:
        data = event.to_dict()
        if object_id in (data["data"]["object"]["id"], data["data"]["object"].get("payment_intent")):
            return data
    raise AssertionError(f"no {event_type} event for {object_id}")


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, body: str = ""):
    payload = json.dumps(event)
    return client.post(
        URL,
        data=body or payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret, timestamp),
    )


def captured_at_the_processor(emulator) -> tuple[str, str]:
    """A payment authorized through us, then captured outside our services (e.g. in Stripe's dashboard)."""
    reference = new_reference()
    intent_id = services.authorize(reference, inr("80.00"), "pm_card_visa").intent_id
    emulator.client().v1.payment_intents.capture(intent_id, params={"amount_to_capture": 8000})
    return reference, intent_id


def test_signed_event_brings_the_payment_up_to_date(client, stripe_emulator):
    reference, intent_id = captured_at_the_processor(stripe_emulator)

    response = deliver(client, processor_event(stripe_emulator, "payment_intent.succeeded", intent_id))

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    payment = services.get_payment(reference)
    assert (payment.status, payment.captured) == ("captured", inr("80.00"))
    assert payment.history[-1].source.startswith("webhook:payment_intent.succeeded:evt_")
    assert event_types(reference) == ["payments.PaymentAuthorized", "payments.PaymentCaptured"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"secret": "whsec_forged_by_someone_else"}, id="forged"),
        pytest.param({"timestamp": int(time.time()) - 3600}, id="replayed-old"),
        pytest.param(
            {"body": '{"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": {}}}'}, id="body-swapped"
        ),
    ],
)
def test_unverifiable_webhook_is_rejected_and_changes_nothing(client, stripe_emulator, tamper):
    reference, intent_id = captured_at_the_processor(stripe_emulator)
    event = processor_event(stripe_emulator, "payment_intent.succeeded", intent_id)

    response = deliver(client, event, **tamper)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert services.get_payment(reference).status == "authorized"
    assert not WebhookEvent.objects.exists()


def test_webhook_without_a_signature_is_rejected(client, stripe_emulator):
    response = client.post(URL, data="{}", content_type="application/json")

    assert response.status_code == 400


def test_redelivered_event_is_applied_once(client, stripe_emulator):
    reference, intent_id = captured_at_the_processor(stripe_emulator)
    event = processor_event(stripe_emulator, "payment_intent.succeeded", intent_id)

    first, second = deliver(client, event), deliver(client, event)

    assert (first.json()["outcome"], second.json()["outcome"]) == ("applied", "duplicate")
    assert event_types(reference).count("payments.PaymentCaptured") == 1


def test_stale_event_arriving_after_a_newer_one_changes_nothing(client, stripe_emulator):
    reference, intent_id = captured_at_the_processor(stripe_emulator)
    deliver(client, processor_event(stripe_emulator, "payment_intent.succeeded", intent_id))
    history = len(services.get_payment(reference).history)

    older = processor_event(stripe_emulator, "payment_intent.amount_capturable_updated", intent_id)
    response = deliver(client, older)

    assert response.json()["outcome"] == "applied"
    payment = services.get_payment(reference)
    assert (payment.status, payment.captured, len(payment.history)) == ("captured", inr("80.00"), history)


def test_refund_made_at_the_processor_is_recorded_from_charge_refunded(client, stripe_emulator):
    reference, intent_id = captured_at_the_processor(stripe_emulator)
    services.refresh_payment(reference)
    stripe_emulator.client().v1.refunds.create(params={"payment_intent": intent_id, "amount": 3000})

    deliver(client, processor_event(stripe_emulator, "charge.refunded", intent_id))

    payment = services.get_payment(reference)
    assert (payment.status, payment.refunded) == ("partially_refunded", inr("30.00"))
    [(_, refund)] = [(t, p) for t, p in published(reference) if t == "payments.PaymentRefunded"]
    assert (refund["amount"], refund["refund_id"]) == ("30.00", "")


def test_event_about_an_unknown_intent_is_acknowledged_and_ignored(client, stripe_emulator):
    intent = stripe_emulator.client().v1.payment_intents.create(
        params={"amount": 500, "currency": "inr", "payment_method": "pm_card_visa", "confirm": True}
    )

    response = deliver(client, processor_event(stripe_emulator, "payment_intent.succeeded", intent.id))

    assert response.json()["outcome"] == "ignored"
    assert not Payment.objects.filter(intent_id=intent.id).exists()


def test_webhook_arriving_before_our_own_record_finds_the_payment_by_reference(client, stripe_emulator, monkeypatch):
    reference = new_reference()
    crash_once_when_recording(monkeypatch)
    with pytest.raises(Crash):
        services.authorize(reference, inr("45.00"), "pm_card_visa")
    [intent] = intents_at_processor(stripe_emulator, reference)

    deliver(client, processor_event(stripe_emulator, "payment_intent.amount_capturable_updated", intent["id"]))
    result = services.authorize(reference, inr("45.00"), "pm_card_visa")

    assert (result.status, result.intent_id) == ("authorized", intent["id"])
    assert event_types(reference) == ["payments.PaymentAuthorized"]


def test_webhook_endpoint_accepts_only_post(client):
    response = client.get(URL)

    assert response.status_code == 405


def test_webhook_without_a_configured_secret_is_refused(client, stripe_emulator, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = client.post(URL, data="{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=x")

    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_emulator_delivers_signed_webhooks_that_complete_a_3d_secure_payment(live_server, stripe_emulator, settings):
    endpoint = stripe_emulator.client().v1.webhook_endpoints.create(
        params={"url": f"{live_server.url}{URL}", "enabled_events": ["payment_intent.amount_capturable_updated"]}
    )
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
    try:
        reference = new_reference()
        result = services.authorize(reference, inr("60.00"), "pm_card_authenticationRequired")
        answer_3d_secure(result.next_action_url, "succeed")

        # No call of ours: only the processor's signed webhook can move the payment on.
        wait_until(lambda: services.get_payment(reference).status == "authorized", message="the webhook")
    finally:
        stripe_emulator.client().v1.webhook_endpoints.delete(endpoint.id)

    assert event_types(reference) == ["payments.PaymentAuthorized"]
    assert WebhookEvent.objects.filter(intent_id=result.intent_id).count() == 1


@pytest.mark.parametrize("body", ["not json at all", '{"id": "evt_1", "type": "payment_intent.succeeded"}'])
def test_signed_body_that_is_not_an_event_is_rejected(client, stripe_emulator, body):
    response = client.post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET)
    )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
