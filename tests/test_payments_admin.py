"""Staff see payments with their status history and processor calls, and find them by reference or intent."""

from __future__ import annotations

import pytest

from shop.payments import services
from shop.payments.models import Payment
from tests.factories_payments import inr, new_reference

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payments/payment/"


@pytest.fixture
def payments(stripe_emulator):
    captured, declined = new_reference("admin"), new_reference("admin")
    services.authorize(captured, inr("120.00"), "pm_card_visa")
    services.capture(captured, inr("120.00"), "shipment-1")
    services.authorize(declined, inr("15.00"), "pm_card_chargeDeclinedInsufficientFunds")
    return captured, declined


def test_changelist_finds_a_payment_by_reference_or_intent_id(admin_client, payments):
    captured, declined = payments
    intent_id = services.get_payment(captured).intent_id

    by_reference = admin_client.get(CHANGELIST, {"q": captured}).content.decode()
    by_intent = admin_client.get(CHANGELIST, {"q": intent_id}).content.decode()

    assert captured in by_reference
    assert declined not in by_reference
    assert captured in by_intent
    assert "visa •••• 4242" in by_reference


def test_changelist_filters_by_status(admin_client, payments):
    captured, declined = payments

    page = admin_client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()

    assert declined in page
    assert captured not in page


def test_changelist_costs_a_bounded_number_of_queries(admin_client, payments, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200


def test_payment_page_shows_its_status_history_and_processor_calls(admin_client, payments):
    captured, _ = payments
    payment = Payment.objects.get(reference=captured)

    page = admin_client.get(f"{CHANGELIST}{payment.pk}/change/").content.decode()

    assert "status history" in page.lower()
    assert "authorized" in page
    assert "captured" in page
    assert f"shop:{captured}:capture:shipment-1" in page
    assert 'name="_save"' not in page  # read-only: money moves through the services


def test_payments_cannot_be_added_or_deleted_in_the_admin(admin_client, payments):
    payment = Payment.objects.get(reference=payments[0])

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{payment.pk}/delete/").status_code == 403


def test_refresh_action_reads_the_processor(admin_client, payments, stripe_emulator):
    captured, _ = payments
    payment = Payment.objects.get(reference=captured)
    stripe_emulator.client().v1.refunds.create(params={"payment_intent": payment.intent_id, "amount": 2000})

    admin_client.post(CHANGELIST, {"action": "refresh_from_processor", "_selected_action": [payment.pk]})

    assert services.get_payment(captured).refunded == inr("20.00")
