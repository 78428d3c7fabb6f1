"""Carrier tracking webhooks: signed, fresh and new or refused with a 4xx and nothing changed."""

from __future__ import annotations

import json
import time

import pytest

from shop.fulfillment import services as fulfillment
from shop.fulfillment import simulated_carrier
from shop.fulfillment.models import TrackingEvent
from shop.fulfillment.simulated_carrier import SIGNATURE_HEADER, event_body, sign
from shop.orders.models import OrderStatusChange
from tests.factories_lifecycle import checkout, ship_everything, status, stock_up
from tests.fixtures_lifecycle import WEBHOOK_SECRET

URL = "/api/v1/fulfillment/carriers/simex/webhook"


@pytest.fixture
def shipped(lifecycle):
    stock_up(1, 10, 5)
    order = checkout(lines=[(1, 1)])
    (shipment,) = ship_everything(order)
    return order, shipment


def post(client, body: bytes, signature: str | None):
    headers = {SIGNATURE_HEADER: signature} if signature is not None else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


def nothing_changed(order, shipment) -> bool:
    return (
        status(order) == "shipped"
        and not TrackingEvent.objects.exists()
        and fulfillment.get_shipment(shipment.shipment_id).status == "shipped"
    )


def test_a_signed_delivery_event_delivers_the_parcel_and_the_order(shipped, client):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "delivered")

    response = post(client, body, sign(body))

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    assert status(order) == "delivered"
    assert fulfillment.get_shipment(shipment.shipment_id).tracking_status == "delivered"


def test_a_forged_signature_is_refused(shipped, client):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "delivered")

    response = post(client, body, sign(body, secret="whsec_guessed"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert nothing_changed(order, shipment)


def test_an_altered_body_is_refused(shipped, client):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "in_transit")
    signature = sign(body)
    altered = body.replace(b"in_transit", b"delivered")

    response = post(client, altered, signature)

    assert response.status_code == 400
    assert nothing_changed(order, shipment)


@pytest.mark.parametrize("signature", [None, "", "t=abc,v1=00", "v1=deadbeef"])
def test_a_missing_or_malformed_signature_is_refused(shipped, client, signature):
    order, shipment = shipped
    response = post(client, event_body(shipment.tracking_number, "delivered"), signature)
    assert response.status_code == 400
    assert nothing_changed(order, shipment)


def test_an_old_signature_is_a_replay_and_is_refused(shipped, client):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "delivered")

    response = post(client, body, sign(body, timestamp=int(time.time()) - 3600))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stale_signature"
    assert nothing_changed(order, shipment)


def test_an_event_sent_again_is_refused_as_a_replay_and_changes_nothing(shipped, client):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "delivered", event_id="evt_once")
    assert post(client, body, sign(body)).status_code == 200
    history = OrderStatusChange.objects.count()

    replay = post(client, body, sign(body))

    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "duplicate_event"
    assert TrackingEvent.objects.count() == 1
    assert OrderStatusChange.objects.count() == history
    assert status(order) == "delivered"


def test_a_signed_event_that_is_not_a_tracking_event_is_refused(shipped, client):
    order, shipment = shipped
    body = json.dumps({"id": "evt_x", "type": "tracking.updated", "data": {"status": "delivered"}}).encode()

    response = post(client, body, sign(body))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert nothing_changed(order, shipment)


def test_a_signed_event_about_someone_elses_parcel_is_acknowledged_and_ignored(shipped, client):
    order, shipment = shipped
    body = event_body("1ZSHOP010399999990", "delivered")

    response = post(client, body, sign(body))

    assert response.json() == {"received": True, "outcome": "ignored"}
    assert nothing_changed(order, shipment)


def test_an_unknown_carrier_is_a_404(lifecycle, client):
    assert post(client, b"{}", "t=1,v1=0").status_code == 400  # simex exists: bad signature
    response = client.post("/api/v1/fulfillment/carriers/pigeon/webhook", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_without_a_secret_webhooks_are_refused(shipped, client, settings):
    order, shipment = shipped
    body = event_body(shipment.tracking_number, "delivered")
    signature = sign(body, secret=WEBHOOK_SECRET)
    settings.FULFILLMENT_SIM_WEBHOOK_SECRET = ""

    response = post(client, body, signature)

    assert response.status_code == 503
    assert nothing_changed(order, shipment)


def test_the_simulated_carrier_posts_its_events_over_http_to_the_store(shipped, live_server, settings):
    order, shipment = shipped
    settings.FULFILLMENT_SIM_WEBHOOK_URL = f"{live_server.url}{URL}"

    for code in ("in_transit", "out_for_delivery", "delivered"):
        assert simulated_carrier.send_event(shipment.tracking_number, code) == 200

    assert status(order) == "delivered"
    assert [e.code for e in fulfillment.get_shipment(shipment.shipment_id).events] == [
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
