"""What to tell a customer about a failed card payment, by the processor's decline code.

Lost, stolen and fraud-flagged cards get the generic message on purpose (as Stripe
advises): the person at the keyboard may not be the card's owner.
"""

GENERIC = "Your card was declined. Please use a different card, or contact your bank."

MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds. Please use a different card.",
    "expired_card": "Your card has expired. Please check the expiry date or use a different card.",
    "incorrect_cvc": "The card's security code (CVC) is incorrect. Please check it and try again.",
    "invalid_cvc": "The card's security code (CVC) is incorrect. Please check it and try again.",
    "incorrect_number": "The card number is incorrect. Please check it and try again.",
    "processing_error": "We could not process your card just now. Please try again in a moment.",
    "payment_intent_authentication_failure": (
        "We could not verify your card with your bank. Please try again or use a different card."
    ),
    "card_velocity_exceeded": "Your card has been declined for too many attempts. Please use a different card.",
    "invalid_payment_method": "We could not use those card details. Please enter your card again.",
    "processor_state_unknown": "We could not confirm your payment. Please place your order again.",
}


def customer_message(code: str) -> str:
    return MESSAGES.get(code, GENERIC)
