"""Stripe's documented test cards and what each one does when a payment is confirmed.

Only test cards are accepted, as in Stripe's test mode: any other valid number tokenizes but
is declined with ``test_mode_live_card``, so a real card typed into a development store is
never treated as chargeable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What confirming a payment with the card does: approve, decline, or ask for 3D Secure."""

    kind: str  # "approve" | "decline" | "authenticate"
    code: str = ""  # the error code of a decline (card_declined, expired_card, ...)
    decline_code: str = ""
    message: str = ""


APPROVE = Outcome("approve")
AUTHENTICATE = Outcome("authenticate")


def _decline(decline_code: str, message: str = "Your card was declined.", code: str = "card_declined") -> Outcome:
    return Outcome("decline", code=code, decline_code=decline_code, message=message)


TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": APPROVE,
    "4000056655665556": APPROVE,  # Visa debit
    "5555555555554444": APPROVE,
    "2223003122003222": APPROVE,
    "5200828282828210": APPROVE,  # Mastercard debit
    "378282246310005": APPROVE,
    "6011111111111117": APPROVE,
    "4000000000000002": _decline("generic_decline"),
    "4000000000009995": _decline("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": _decline("lost_card"),
    "4000000000009979": _decline("stolen_card"),
    "4100000000000019": _decline("fraudulent"),
    "4000000000000069": _decline("expired_card", "Your card has expired.", code="expired_card"),
    "4000000000000127": _decline("incorrect_cvc", "Your card's security code is incorrect.", code="incorrect_cvc"),
    "4000000000000119": _decline(
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        code="processing_error",
    ),
    "4000002500003155": AUTHENTICATE,
    "4000002760003184": AUTHENTICATE,
    "4000000000003220": AUTHENTICATE,
}

LIVE_CARD = _decline(
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) card. "
    "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)

# Stripe's ready-made test PaymentMethods, usable server-side without tokenizing.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
}

# Brands that support multicapture on Stripe (online card payments).
MULTICAPTURE_BRANDS = {"visa", "mastercard", "amex", "discover"}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def outcome_of(number: str) -> Outcome:
    return TEST_CARDS.get(number, LIVE_CARD)


def funding_of(number: str) -> str:
    return "debit" if number in {"4000056655665556", "5200828282828210"} else "credit"
