"""Payments services end to end: our code, the real stripe SDK, the emulator process, real Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal

import pytest
from django.db import connection

from shop.payments import services
from shop.payments.models import OperationState, Payment, PaymentOperation
from tests.factories_payments import (
    Crash,
    age_operations,
    answer_3d_secure,
    crash_once_when_recording,
    event_types,
    inr,
    intents_at_processor,
    new_reference,
    published,
)

pytestmark = pytest.mark.django_db


def authorized(amount: str = "100.00", payment_method: str = "pm_card_visa") -> str:
    reference = new_reference()
    result = services.authorize(reference, inr(amount), payment_method, "buyer@example.com")
    assert result.approved, result
    return reference


# --- Authorize -------------------------------------------------------------------------------


def test_authorize_holds_the_amount_and_records_the_payment_and_its_event(stripe_emulator):
    reference = new_reference()

    result = services.authorize(reference, inr("1234.50"), "pm_card_visa", "buyer@example.com")

    assert result.approved
    assert not result.declined
    assert result.status == "authorized"
    assert result.amount == inr("1234.50")
    payment = services.get_payment(reference)
    assert payment.intent_id == result.intent_id
    assert (payment.authorized, payment.capturable, payment.captured) == (inr("1234.50"), inr("1234.50"), inr(0))
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert [(c.from_status, c.to_status) for c in payment.history] == [("", "pending"), ("pending", "authorized")]
    [(event_type, payload)] = published(reference)
    assert event_type == "payments.PaymentAuthorized"
    assert (payload["amount"], payload["currency"], payload["intent_id"]) == ("1234.50", "INR", result.intent_id)
    [intent] = intents_at_processor(stripe_emulator, reference)
    assert (intent["status"], intent["amount"], intent["currency"], intent["capture_method"]) == (
        "requires_capture",
        123450,
        "inr",
        "manual",
    )


@pytest.mark.parametrize(
    ("payment_method", "code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "insufficient funds"),
        ("pm_card_chargeDeclinedLostCard", "lost_card", "Your card was declined"),
        ("pm_card_chargeDeclinedStolenCard", "stolen_card", "Your card was declined"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "security code"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "try again"),
    ],
)
def test_declined_card_is_a_result_with_its_code_and_a_message_for_the_customer(
    stripe_emulator, payment_method, code, message
):
    reference = new_reference()

    result = services.authorize(reference, inr("50.00"), payment_method)

    assert result.declined
    assert not result.approved
    assert result.code == code
    assert message in result.message
    assert "lost" not in result.message.lower()
    assert "stolen" not in result.message.lower()
    payment = services.get_payment(reference)
    assert (payment.status, payment.failure_code, payment.captured) == ("failed", code, inr(0))
    assert event_types(reference) == ["payments.PaymentFailed"]


def test_unknown_payment_method_token_fails_the_authorization(stripe_emulator):
    reference = new_reference()

    result = services.authorize(reference, inr("50.00"), "pm_neverIssuedByTheProcessor")

    assert result.declined
    assert result.code == "invalid_payment_method"
    assert intents_at_processor(stripe_emulator, reference) == []


def test_repeated_authorize_returns_the_first_result_and_makes_one_intent(stripe_emulator):
    reference = new_reference()

    first = services.authorize(reference, inr("75.00"), "pm_card_visa")
    second = services.authorize(reference, inr("75.00"), "pm_card_visa")

    assert second == first
    assert len(intents_at_processor(stripe_emulator, reference)) == 1
    assert event_types(reference) == ["payments.PaymentAuthorized"]


def test_repeated_decline_stays_declined_without_a_second_attempt(stripe_emulator):
    reference = new_reference()

    first = services.authorize(reference, inr("75.00"), "pm_card_chargeDeclinedInsufficientFunds")
    second = services.authorize(reference, inr("75.00"), "pm_card_chargeDeclinedInsufficientFunds")

    assert second == first
    assert second.declined
    assert len(intents_at_processor(stripe_emulator, reference)) == 1


def test_authorize_again_with_other_details_is_a_conflict(stripe_emulator):
    reference = new_reference()
    services.authorize(reference, inr("75.00"), "pm_card_visa")

    with pytest.raises(services.PaymentConflict):
        services.authorize(reference, inr("80.00"), "pm_card_visa")
    with pytest.raises(services.PaymentConflict):
        services.authorize(reference, inr("75.00"), "pm_card_mastercard")

    assert services.get_payment(reference).authorized == inr("75.00")


def test_authorize_refuses_a_card_number_in_place_of_a_token(stripe_emulator):
    reference = new_reference()

    with pytest.raises(services.CardDataRejected, match="never the card number"):
        services.authorize(reference, inr("10.00"), "4242 4242 4242 4242")

    assert not Payment.objects.filter(reference=reference).exists()


def test_card_needing_3d_secure_sends_the_customer_to_authenticate_then_authorizes(stripe_emulator):
    reference = new_reference()

    result = services.authorize(
        reference, inr("60.00"), "pm_card_authenticationRequired", return_url="http://shop.test/checkout/return"
    )

    assert result.requires_action
    assert not result.approved
    assert result.next_action_url.startswith(f"{stripe_emulator.url}/3ds/{result.intent_id}")
    assert event_types(reference) == []
    back = answer_3d_secure(result.next_action_url, "succeed")
    assert back.startswith("http://shop.test/checkout/return?payment_intent=")
    assert "redirect_status=succeeded" in back

    payment = services.refresh_payment(reference)

    assert payment.status == "authorized"
    assert event_types(reference) == ["payments.PaymentAuthorized"]


def test_failed_3d_secure_fails_the_payment(stripe_emulator):
    reference = new_reference()
    result = services.authorize(reference, inr("60.00"), "pm_card_authenticationRequired")
    answer_3d_secure(result.next_action_url, "fail")

    payment = services.refresh_payment(reference)

    assert (payment.status, payment.failure_code) == ("failed", "payment_intent_authentication_failure")
    assert event_types(reference) == ["payments.PaymentFailed"]


# --- Crash safety ----------------------------------------------------------------------------


def test_crash_between_the_processor_call_and_our_record_is_recovered_by_the_retry(stripe_emulator, monkeypatch):
    reference = new_reference()
    crash_once_when_recording(monkeypatch)

    with pytest.raises(Crash):
        services.authorize(reference, inr("99.00"), "pm_card_visa")

    assert services.get_payment(reference).status == "pending"
    [intent] = intents_at_processor(stripe_emulator, reference)  # the processor did authorize
    assert intent["status"] == "requires_capture"

    result = services.authorize(reference, inr("99.00"), "pm_card_visa")

    assert result.approved
    assert result.intent_id == intent["id"]
    assert len(intents_at_processor(stripe_emulator, reference)) == 1
    assert event_types(reference) == ["payments.PaymentAuthorized"]
    assert PaymentOperation.objects.get(payment__reference=reference).state == OperationState.SUCCEEDED


def test_void_after_a_crashed_authorize_records_the_authorization_and_releases_it(stripe_emulator, monkeypatch):
    reference = new_reference()
    crash_once_when_recording(monkeypatch)
    with pytest.raises(Crash):
        services.authorize(reference, inr("99.00"), "pm_card_visa")

    result = services.void(reference)

    assert result.released
    assert result.status == "voided"
    [intent] = intents_at_processor(stripe_emulator, reference)
    assert intent["status"] == "canceled"
    assert event_types(reference) == ["payments.PaymentAuthorized", "payments.PaymentVoided"]


def test_crash_during_a_capture_then_the_retry_charges_once(stripe_emulator, monkeypatch):
    reference = authorized("100.00")
    crash_once_when_recording(monkeypatch)
    with pytest.raises(Crash):
        services.capture(reference, inr("40.00"), "shipment-1")

    result = services.capture(reference, inr("40.00"), "shipment-1")

    assert result.total_captured == inr("40.00")
    [intent] = intents_at_processor(stripe_emulator, reference)
    assert intent["amount_received"] == 4000
    assert event_types(reference).count("payments.PaymentCaptured") == 1


def test_crash_during_a_refund_then_the_retry_refunds_once(stripe_emulator, monkeypatch):
    reference = authorized("100.00")
    services.capture(reference, inr("100.00"), "shipment-1", final=True)
    crash_once_when_recording(monkeypatch)
    with pytest.raises(Crash):
        services.refund(reference, inr("30.00"), "return-1")

    result = services.refund(reference, inr("30.00"), "return-1")

    assert result.total_refunded == inr("30.00")
    [intent] = intents_at_processor(stripe_emulator, reference)
    assert stripe_emulator.client().v1.charges.retrieve(intent["latest_charge"]).amount_refunded == 3000


@pytest.mark.django_db(transaction=True)
def test_process_killed_after_the_processor_call_then_the_retry_records_the_same_intent(stripe_emulator):
    reference = new_reference()
    script = textwrap.dedent(
        f"""
        import os, django
        django.setup()
        from shop.core.money import Money
        from shop.payments import services
        services._record = lambda op_id, outcome: os._exit(9)  # die right after the processor answered
        services.authorize({reference!r}, Money.of("42.00", "INR"), "pm_card_visa")
        """
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "STRIPE_API_BASE": stripe_emulator.url,
    }

    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60, check=False)

    assert killed.returncode == 9, killed.stderr.decode()
    assert services.get_payment(reference).status == "pending"
    result = services.authorize(reference, inr("42.00"), "pm_card_visa")
    assert result.approved
    assert [intent["id"] for intent in intents_at_processor(stripe_emulator, reference)] == [result.intent_id]


def test_unreachable_processor_leaves_the_call_pending_and_the_retry_completes_it(stripe_emulator, settings):
    reference = new_reference()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    with pytest.raises(services.ProcessorUnavailable):
        services.authorize(reference, inr("20.00"), "pm_card_visa")

    assert services.get_payment(reference).status == "pending"
    settings.STRIPE_API_BASE = stripe_emulator.url
    assert services.authorize(reference, inr("20.00"), "pm_card_visa").approved


def test_interrupted_authorize_older_than_the_replay_window_is_reconciled_not_replayed(stripe_emulator, monkeypatch):
    reference = new_reference()
    crash_once_when_recording(monkeypatch)
    with pytest.raises(Crash):
        services.authorize(reference, inr("99.00"), "pm_card_visa")
    age_operations(reference, hours=30)
    [intent] = intents_at_processor(stripe_emulator, reference)

    result = services.authorize(reference, inr("99.00"), "pm_card_visa")

    assert result.approved
    assert result.intent_id == intent["id"]
    assert PaymentOperation.objects.get(payment__reference=reference).state == OperationState.ABANDONED
    assert len(intents_at_processor(stripe_emulator, reference)) == 1


def test_interrupted_authorize_that_never_reached_the_processor_fails_after_the_window(stripe_emulator, settings):
    reference = new_reference()
    settings.STRIPE_API_BASE, settings.STRIPE_MAX_NETWORK_RETRIES = "http://127.0.0.1:9", 0
    with pytest.raises(services.ProcessorUnavailable):
        services.authorize(reference, inr("20.00"), "pm_card_visa")
    settings.STRIPE_API_BASE = stripe_emulator.url
    age_operations(reference, hours=30)

    result = services.authorize(reference, inr("20.00"), "pm_card_visa")

    assert result.declined
    assert result.code == "processor_state_unknown"
    assert intents_at_processor(stripe_emulator, reference) == []


# --- Capture -----------------------------------------------------------------------------------


def test_each_shipment_captures_its_share_and_the_last_one_releases_the_rest(stripe_emulator):
    reference = authorized("100.00")

    first = services.capture(reference, inr("30.00"), "shipment-1")
    second = services.capture(reference, inr("20.00"), "shipment-2", final=True)

    assert (first.amount, first.total_captured, first.capturable, first.final) == (
        inr("30.00"),
        inr("30.00"),
        inr("70.00"),
        False,
    )
    assert first.status == "partially_captured"
    assert (second.total_captured, second.capturable, second.final, second.status) == (
        inr("50.00"),
        inr(0),
        True,
        "captured",
    )
    [intent] = intents_at_processor(stripe_emulator, reference)
    assert (intent["status"], intent["amount_received"], intent["amount_capturable"]) == ("succeeded", 5000, 0)
    captures = [payload for event_type, payload in published(reference) if event_type == "payments.PaymentCaptured"]
    assert [(c["amount"], c["total_captured"], c["final"]) for c in captures] == [
        ("30.00", "30.00", False),
        ("20.00", "50.00", True),
    ]


def test_capturing_everything_still_held_is_final(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("60.00"), "shipment-1")

    result = services.capture(reference, inr("40.00"), "shipment-2")

    assert result.final
    assert result.status == "captured"


def test_repeated_capture_key_captures_once(stripe_emulator):
    reference = authorized("100.00")

    first = services.capture(reference, inr("30.00"), "shipment-7")
    again = services.capture(reference, inr("30.00"), "shipment-7")

    assert again == first
    assert intents_at_processor(stripe_emulator, reference)[0]["amount_received"] == 3000


def test_capture_key_reused_for_another_amount_is_a_conflict(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("30.00"), "shipment-7")

    with pytest.raises(services.PaymentConflict):
        services.capture(reference, inr("31.00"), "shipment-7")


def test_capture_beyond_the_authorization_is_refused_before_reaching_the_processor(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("80.00"), "shipment-1")

    with pytest.raises(services.PaymentError) as refused:
        services.capture(reference, inr("30.00"), "shipment-2")

    assert refused.value.code == "amount_too_large"
    assert intents_at_processor(stripe_emulator, reference)[0]["amount_received"] == 8000


def test_partial_capture_without_multicapture_must_be_final(stripe_emulator, settings):
    settings.PAYMENTS_REQUEST_MULTICAPTURE = False
    reference = authorized("100.00")
    assert not services.get_payment(reference).multicapture

    with pytest.raises(services.InvalidPaymentState) as refused:
        services.capture(reference, inr("30.00"), "shipment-1")
    result = services.capture(reference, inr("30.00"), "shipment-1b", final=True)

    assert refused.value.code == "multicapture_unavailable"
    assert (result.total_captured, result.final) == (inr("30.00"), True)
    assert [c["amount"] for t, c in published(reference) if t == "payments.PaymentCaptured"] == ["30.00"]


def test_capture_of_a_declined_or_voided_payment_is_refused(stripe_emulator):
    declined = new_reference()
    services.authorize(declined, inr("10.00"), "pm_card_chargeDeclined")
    voided = authorized("10.00")
    services.void(voided)

    for reference in (declined, voided):
        with pytest.raises(services.InvalidPaymentState):
            services.capture(reference, inr("10.00"), "shipment-1")


def test_capture_of_an_unknown_reference_is_not_found(stripe_emulator):
    with pytest.raises(services.PaymentNotFound):
        services.capture(new_reference(), inr("10.00"), "shipment-1")


# --- Void ------------------------------------------------------------------------------------


def test_void_releases_the_authorization(stripe_emulator):
    reference = authorized("100.00")

    result = services.void(reference)

    assert (result.status, result.released) == ("voided", True)
    assert intents_at_processor(stripe_emulator, reference)[0]["status"] == "canceled"
    [(event_type, payload)] = published(reference)[1:]
    assert (event_type, payload["amount_released"]) == ("payments.PaymentVoided", "100.00")
    assert services.void(reference) == result  # a repeat is the same result


def test_void_of_a_reference_never_authorized_or_declined_changes_nothing(stripe_emulator):
    declined = new_reference()
    services.authorize(declined, inr("10.00"), "pm_card_chargeDeclined")

    assert services.void(new_reference()).released is False
    assert services.void(declined).released is False
    assert event_types(declined) == ["payments.PaymentFailed"]


def test_void_after_partial_captures_releases_the_rest(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("30.00"), "shipment-1")

    result = services.void(reference)

    assert result.status == "captured"
    payment = services.get_payment(reference)
    assert (payment.captured, payment.capturable) == (inr("30.00"), inr(0))
    assert intents_at_processor(stripe_emulator, reference)[0]["status"] == "succeeded"
    assert published(reference)[-1] == (
        "payments.PaymentVoided",
        {**published(reference)[-1][1], "amount_released": "70.00"},
    )


def test_void_of_a_captured_payment_is_refused(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("100.00"), "shipment-1")

    with pytest.raises(services.InvalidPaymentState) as refused:
        services.void(reference)

    assert refused.value.code == "already_captured"


# --- Refund ----------------------------------------------------------------------------------


def test_partial_then_full_refund(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("100.00"), "shipment-1")

    partial = services.refund(reference, inr("40.00"), "return-1", reason="requested_by_customer")
    rest = services.refund(reference, inr("60.00"), "return-2")

    assert (partial.status, partial.total_refunded) == ("partially_refunded", inr("40.00"))
    assert partial.refund_id.startswith("re_")
    assert (rest.status, rest.total_refunded) == ("refunded", inr("100.00"))
    refunds = [payload for event_type, payload in published(reference) if event_type == "payments.PaymentRefunded"]
    assert [(r["amount"], r["total_refunded"], r["refund_id"]) for r in refunds] == [
        ("40.00", "40.00", partial.refund_id),
        ("60.00", "100.00", rest.refund_id),
    ]


def test_repeated_refund_key_refunds_once(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("100.00"), "shipment-1")

    first = services.refund(reference, inr("25.00"), "return-9")
    again = services.refund(reference, inr("25.00"), "return-9")

    assert again == first
    assert services.get_payment(reference).refunded == inr("25.00")
    with pytest.raises(services.PaymentConflict):
        services.refund(reference, inr("26.00"), "return-9")


def test_refund_beyond_what_was_captured_or_before_capture_is_refused(stripe_emulator):
    reference = authorized("100.00")
    with pytest.raises(services.InvalidPaymentState):
        services.refund(reference, inr("10.00"), "return-1")
    services.capture(reference, inr("50.00"), "shipment-1", final=True)

    with pytest.raises(services.PaymentError) as refused:
        services.refund(reference, inr("50.01"), "return-2")

    assert refused.value.code == "amount_too_large"


def test_status_history_records_every_step(stripe_emulator):
    reference = authorized("100.00")
    services.capture(reference, inr("100.00"), "shipment-1")
    services.refund(reference, inr("100.00"), "return-1")

    history = services.get_payment(reference).history

    assert [(c.from_status, c.to_status) for c in history] == [
        ("", "pending"),
        ("pending", "authorized"),
        ("authorized", "captured"),
        ("captured", "refunded"),
    ]
    assert history[2].source.endswith(":capture:shipment-1")


def test_get_payment_of_an_unknown_reference_is_not_found():
    with pytest.raises(services.PaymentNotFound):
        services.get_payment("no-such-reference")


# --- Concurrency -----------------------------------------------------------------------------


def run_in_threads(target, count):
    results, errors = [], []
    barrier = threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_authorize_of_one_reference_authorizes_once(stripe_emulator):
    reference = new_reference()

    results, errors = run_in_threads(lambda _: services.authorize(reference, inr("10.00"), "pm_card_visa"), 4)

    assert errors == []
    assert {result.intent_id for result in results} == {results[0].intent_id}
    assert len(intents_at_processor(stripe_emulator, reference)) == 1
    assert event_types(reference) == ["payments.PaymentAuthorized"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_captures_never_exceed_the_authorization(stripe_emulator):
    reference = authorized("100.00")

    results, errors = run_in_threads(lambda i: services.capture(reference, inr("30.00"), f"shipment-{i}"), 5)

    assert len(results) == 3
    assert len(errors) == 2
    assert all(isinstance(error, services.PaymentError) for error in errors)
    payment = services.get_payment(reference)
    assert payment.captured == inr("90.00")
    assert intents_at_processor(stripe_emulator, reference)[0]["amount_received"] == 9000
    assert Decimal(sum(Decimal(p["amount"]) for t, p in published(reference) if t.endswith("Captured"))) == Decimal(
        "90.00"
    )
