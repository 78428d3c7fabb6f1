"""The emulated resources: payment methods, payment intents, charges, refunds, webhook endpoints, events.

Each handler gets the decoded parameters and answers ``(status, body)`` with Stripe-shaped
objects. Handlers run inside the request's store transaction: a raised ``StripeError``
rolls back everything, while an answer such as a 402 decline is committed together with the
state it reports (the failed charge, the intent back in ``requires_payment_method``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from payments_emulator import cards
from payments_emulator.encoding import as_bool, as_int, as_metadata, as_str, check_known
from payments_emulator.errors import StripeError, invalid, unexpected_state
from payments_emulator.store import Store, new_id
from payments_emulator.webhooks import public, record_event

Response = tuple[int, dict[str, Any]]

# Stripe's minimum charge is about half a unit of most currencies (50 cents, 50 paise).
MINIMUM_AMOUNT = 50
MAXIMUM_AMOUNT = 99_999_999
MAX_CAPTURES = 50
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CONFIRMABLE = ("requires_confirmation", "requires_action", "requires_payment_method")
EXPANDABLE = {
    "latest_charge": "charge",
    "payment_method": "payment_method",
    "charge": "charge",
    "payment_intent": "payment_intent",
}


@dataclass
class Call:
    """One API request as the handlers see it."""

    store: Store
    params: dict[str, Any]
    request_id: str
    idempotency_key: str | None
    base_url: str

    def event(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        record_event(
            self.store,
            event_type,
            obj,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            previous=previous,
        )


def _now() -> int:
    return int(time.time())


def render(call: Call, obj: dict[str, Any]) -> dict[str, Any]:
    """The public view of ``obj`` with the fields the request asked to ``expand``."""
    shown = public(obj)
    expand = call.params.get("expand") or []
    if isinstance(expand, str):
        expand = [expand]
    for path in expand:
        _expand(call.store, shown, path.split("."), path)
    return shown


def _expand(store: Store, obj: dict[str, Any], parts: list[str], path: str) -> None:
    head, rest = parts[0], parts[1:]
    if head == "data" and isinstance(obj.get("data"), list):
        for item in obj["data"]:
            _expand(store, item, rest, path)
        return
    if head not in EXPANDABLE or head not in obj:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = obj[head]
    if isinstance(value, str):
        found = store.find(value, EXPANDABLE[head])
        value = public(found) if found else value
        obj[head] = value
    if rest and isinstance(value, dict):
        _expand(store, value, rest, path)


# --- Payment methods (the tokenization endpoint the browser calls) ---------------------------


def create_payment_method(call: Call) -> Response:
    params = call.params
    check_known(params, {"type", "card", "billing_details", "metadata", "expand"})
    if as_str(params, "type", required=True) != "card":
        raise invalid("The emulator supports only type=card.", param="type")
    card = params.get("card")
    if not isinstance(card, dict):
        raise invalid("Missing required param: card.", param="card", code="parameter_missing")
    check_known(card, {"number", "exp_month", "exp_year", "cvc"})
    number = "".join((card.get("number") or "").split()).replace("-", "")
    if not cards.luhn_valid(number):
        raise _card_error("incorrect_number", "Your card number is incorrect.", "card[number]")
    exp_month, exp_year = _expiry(card)
    cvc = card.get("cvc") or ""
    if cvc and not (cvc.isdigit() and len(cvc) in (3, 4)):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", "card[cvc]")
    billing = params.get("billing_details") or {}
    if not isinstance(billing, dict):
        raise invalid("Invalid billing_details: must be a hash", param="billing_details")
    method = _payment_method(number, exp_month, exp_year, billing, as_metadata(params), cvc_given=bool(cvc))
    call.store.put(method)
    return 200, render(call, method)


def _card_error(code: str, message: str, param: str) -> StripeError:
    return StripeError(402, message, type="card_error", code=code, param=param, stored=False)


def _expiry(card: dict[str, Any]) -> tuple[int, int]:
    month_raw, year_raw = str(card.get("exp_month") or ""), str(card.get("exp_year") or "")
    if not month_raw.isdigit() or not 1 <= int(month_raw) <= 12:
        raise _card_error("invalid_expiry_month", "Your card's expiration month is invalid.", "card[exp_month]")
    if not year_raw.isdigit() or len(year_raw) not in (2, 4):
        raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.", "card[exp_year]")
    month, year = int(month_raw), int(year_raw) + (2000 if len(year_raw) == 2 else 0)
    today = dt.date.today()
    if (year, month) < (today.year, today.month) or year > today.year + 50:
        raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.", "card[exp_year]")
    return month, year


def _payment_method(
    number: str, exp_month: int, exp_year: int, billing: dict[str, Any], metadata: dict[str, str], *, cvc_given: bool
) -> dict[str, Any]:
    brand = cards.brand_of(number)
    address = billing.get("address") if isinstance(billing.get("address"), dict) else {}
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {key: address.get(key) for key in ("city", "country", "line1", "line2", "postal_code", "state")},
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
        },
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked" if cvc_given else None,
            },
            "country": "US",
            "display_brand": brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            # Stripe's fingerprint identifies a number without revealing it; so does this one.
            "fingerprint": hashlib.sha256(f"emulator:{number}".encode()).hexdigest()[:16],
            "funding": cards.funding_of(number),
            "last4": number[-4:],
            "networks": {"available": [brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": _now(),
        "customer": None,
        "livemode": False,
        "metadata": metadata,
        "type": "card",
        # Only a public test number is kept (it decides the outcome); any other number is not stored.
        "_card": number if number in cards.TEST_CARDS else "live",
    }


def retrieve_payment_method(call: Call, method_id: str) -> Response:
    return 200, render(call, call.store.get(method_id, "payment_method"))


def _resolve_payment_method(call: Call, method_id: str) -> dict[str, Any]:
    """A stored method, or a fresh one for Stripe's ready-made ``pm_card_*`` test methods."""
    if method_id in cards.TEST_PAYMENT_METHODS:
        year = dt.date.today().year + 3
        method = _payment_method(cards.TEST_PAYMENT_METHODS[method_id], 12, year, {}, {}, cvc_given=False)
        return call.store.put(method)
    method = call.store.find(method_id, "payment_method")
    if method is None:
        raise StripeError(
            400, f"No such PaymentMethod: '{method_id}'", code="resource_missing", param="payment_method", stored=False
        )
    return method


# --- Payment intents -------------------------------------------------------------------------

CREATE_INTENT_PARAMS = {
    "amount",
    "currency",
    "capture_method",
    "confirm",
    "confirmation_method",
    "payment_method",
    "payment_method_types",
    "payment_method_options",
    "automatic_payment_methods",
    "metadata",
    "description",
    "receipt_email",
    "return_url",
    "statement_descriptor_suffix",
    "expand",
}


def create_payment_intent(call: Call) -> Response:
    params = call.params
    check_known(params, CREATE_INTENT_PARAMS)
    currency = (as_str(params, "currency", required=True) or "").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    amount = _amount(params, "amount", currency, required=True)
    capture_method = as_str(params, "capture_method") or "automatic"
    if capture_method not in ("automatic", "automatic_async", "manual"):
        raise invalid(f"Invalid capture_method: {capture_method}", param="capture_method")
    types = params.get("payment_method_types") or ["card"]
    if types != ["card"]:
        raise invalid("The emulator supports only payment_method_types=['card'].", param="payment_method_types")
    multicapture = _multicapture_requested(params, capture_method)
    intent_id = new_id("pi")
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
        "confirmation_method": as_str(params, "confirmation_method") or "automatic",
        "created": _now(),
        "currency": currency,
        "customer": None,
        "description": as_str(params, "description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": as_metadata(params),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_multicapture": "if_available" if multicapture else "never",
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": as_str(params, "receipt_email"),
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": as_str(params, "statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        "_return_url": as_str(params, "return_url"),
        "_captures": 0,
    }
    method_id = as_str(params, "payment_method")
    method = _resolve_payment_method(call, method_id) if method_id else None
    if method is not None:
        intent["payment_method"] = method["id"]
        intent["status"] = "requires_confirmation"
    confirm = as_bool(params, "confirm", False)
    if confirm and method is None:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "To confirm the PaymentIntent with a payment method, pass payment_method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    call.store.put(intent)
    call.event("payment_intent.created", intent)
    if confirm and method is not None:
        return _confirm(call, intent, method)
    return 200, render(call, intent)


def _amount(params: dict[str, Any], name: str, currency: str, *, required: bool) -> int:
    amount = as_int(params, name, required=required)
    assert amount is not None or not required
    if amount is None:
        return 0
    if amount < MINIMUM_AMOUNT:
        raise invalid(
            f"Amount must be at least {MINIMUM_AMOUNT} (minor units of {currency}).",
            param=name,
            code="amount_too_small",
        )
    if amount > MAXIMUM_AMOUNT:
        raise invalid(f"Amount must be no more than {MAXIMUM_AMOUNT}.", param=name, code="amount_too_large")
    return amount


def _multicapture_requested(params: dict[str, Any], capture_method: str) -> bool:
    options = params.get("payment_method_options") or {}
    if not isinstance(options, dict):
        raise invalid("Invalid payment_method_options: must be a hash", param="payment_method_options")
    check_known(options, {"card"})
    card = options.get("card") or {}
    if not isinstance(card, dict):
        raise invalid("Invalid payment_method_options[card]: must be a hash", param="payment_method_options[card]")
    check_known(card, {"request_multicapture", "request_three_d_secure"})
    value = card.get("request_multicapture") or "never"
    if value not in ("if_available", "never"):
        raise invalid(
            f"Invalid request_multicapture: {value}", param="payment_method_options[card][request_multicapture]"
        )
    if value == "if_available" and capture_method != "manual":
        raise invalid(
            "Multicapture requires capture_method=manual.", param="payment_method_options[card][request_multicapture]"
        )
    return value == "if_available"


def retrieve_payment_intent(call: Call, intent_id: str) -> Response:
    check_known(call.params, {"expand", "client_secret"})
    return 200, render(call, call.store.get(intent_id, "payment_intent", "intent"))


def list_payment_intents(call: Call) -> Response:
    check_known(call.params, {"limit", "starting_after", "expand"})
    return _list(call, "payment_intent", "/v1/payment_intents")


def _list(call: Call, object_type: str, url: str, where: dict[str, str] | None = None) -> Response:
    limit = as_int(call.params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    rows, has_more = call.store.page(object_type, limit, as_str(call.params, "starting_after"), where)
    body = {"object": "list", "data": [public(row) for row in rows], "has_more": has_more, "url": url}
    return 200, render(call, body)


SEARCH_CLAUSE = re.compile(r"^(metadata\['([^']+)'\]|status|currency):'([^']*)'$")


def search_payment_intents(call: Call) -> Response:
    """Stripe's search, for the clauses reconciliation needs: ``metadata['k']:'v'``,
    ``status:'v'`` and ``currency:'v'`` joined with ``AND``."""
    check_known(call.params, {"query", "limit", "page", "expand"})
    query = as_str(call.params, "query", required=True) or ""
    where: dict[str, str] = {}
    for clause in query.split(" AND "):
        match = SEARCH_CLAUSE.match(clause.strip())
        if not match:
            raise invalid(f"The emulator cannot search for {clause.strip()!r}.", param="query")
        field = f'metadata."{match.group(2)}"' if match.group(2) else match.group(1)
        where[field] = match.group(3)
    limit = as_int(call.params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    rows, has_more = call.store.page("payment_intent", limit, None, where)
    body = {
        "object": "search_result",
        "data": [public(row) for row in rows],
        "has_more": has_more,
        "next_page": None,
        "url": "/v1/payment_intents/search",
    }
    return 200, render(call, body)


def confirm_payment_intent(call: Call, intent_id: str) -> Response:
    check_known(call.params, {"payment_method", "return_url", "expand"})
    intent = call.store.get(intent_id, "payment_intent", "intent")
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}. "
            f"Only a PaymentIntent with one of the following statuses may be confirmed: {', '.join(CONFIRMABLE)}."
        )
    method_id = as_str(call.params, "payment_method") or intent["payment_method"]
    if not method_id:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    method = _resolve_payment_method(call, method_id)
    if as_str(call.params, "return_url"):
        intent["_return_url"] = as_str(call.params, "return_url")
    intent["payment_method"] = method["id"]
    return _confirm(call, intent, method)


def _confirm(call: Call, intent: dict[str, Any], method: dict[str, Any]) -> Response:
    """Authorize with the card's test outcome: approved, declined (402), or 3D Secure first."""
    outcome = cards.outcome_of(method["_card"])
    intent["last_payment_error"] = None
    intent["next_action"] = None
    if outcome.kind == "authenticate":
        intent["status"] = "requires_action"
        intent["next_action"] = _next_action(call.base_url, intent)
        call.store.put(intent)
        call.event("payment_intent.requires_action", intent)
        return 200, render(call, intent)
    if outcome.kind == "decline":
        return _decline(call, intent, method, outcome)
    _authorize(call, intent, method)
    return 200, render(call, intent)


def _next_action(base_url: str, intent: dict[str, Any]) -> dict[str, Any]:
    query = urlencode({"client_secret": intent["client_secret"]})
    url = f"{base_url}/3ds/{intent['id']}?{query}"
    if intent.get("_return_url"):
        return {"type": "redirect_to_url", "redirect_to_url": {"return_url": intent["_return_url"], "url": url}}
    return {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url}}


def _new_charge(intent: dict[str, Any], method: dict[str, Any], *, paid: bool) -> dict[str, Any]:
    card = method["card"]
    multicapture = (
        intent["payment_method_options"]["card"]["request_multicapture"] == "if_available"
        and card["brand"] in cards.MULTICAPTURE_BRANDS
    )
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": method["billing_details"],
        "captured": False,
        "created": _now(),
        "currency": intent["currency"],
        "description": intent["description"],
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_status": "approved_by_network" if paid else "declined_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized" if paid else "issuer_declined",
        },
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": card["brand"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "multicapture": {"status": "available" if multicapture else "unavailable"},
                "network": card["brand"],
            },
        },
        "receipt_email": intent["receipt_email"],
        "refunded": False,
        "status": "succeeded" if paid else "failed",
    }


def _authorize(call: Call, intent: dict[str, Any], method: dict[str, Any]) -> None:
    charge = _new_charge(intent, method, paid=True)
    intent["latest_charge"] = charge["id"]
    if intent["capture_method"] == "manual":
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
    else:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        charge["captured"] = True
        charge["amount_captured"] = intent["amount"]
    call.store.put(charge)
    call.store.put(intent)
    call.event("charge.succeeded", charge)
    if intent["status"] == "requires_capture":
        call.event("payment_intent.amount_capturable_updated", intent)
    else:
        call.event("payment_intent.succeeded", intent)


def _decline(call: Call, intent: dict[str, Any], method: dict[str, Any], outcome: cards.Outcome) -> Response:
    charge = _new_charge(intent, method, paid=False)
    charge["failure_code"] = outcome.code
    charge["failure_message"] = outcome.message
    charge["outcome"].update(
        reason=outcome.decline_code, seller_message="The bank did not return any further details with this decline."
    )
    error = StripeError(
        402,
        outcome.message,
        type="card_error",
        code=outcome.code,
        decline_code=outcome.decline_code,
        charge=charge["id"],
        payment_method=public(method),
    )
    intent.update(
        status="requires_payment_method",
        latest_charge=charge["id"],
        payment_method=None,
        last_payment_error=error.body,
    )
    call.store.put(charge)
    call.store.put(intent)
    call.event("charge.failed", charge)
    call.event("payment_intent.payment_failed", intent)
    body = error.response()
    body["error"]["payment_intent"] = public(intent)
    return 402, body


def authenticate(call: Call, intent_id: str, client_secret: str, succeed: bool) -> dict[str, Any]:
    """The customer's answer on the 3D Secure page (the emulator's stand-in for the bank's page)."""
    intent = call.store.get(intent_id, "payment_intent", "intent")
    if client_secret != intent["client_secret"]:
        raise invalid("The client_secret does not match this PaymentIntent.", param="client_secret")
    if intent["status"] != "requires_action":
        return intent  # answered already (a double click, a reload): nothing changes
    method = call.store.get(intent["payment_method"], "payment_method", "payment_method")
    intent["next_action"] = None
    if succeed:
        _authorize(call, intent, method)
        return intent
    error = StripeError(
        402,
        "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
        type="card_error",
        code="payment_intent_authentication_failure",
        payment_method=public(method),
    )
    intent.update(status="requires_payment_method", payment_method=None, last_payment_error=error.body)
    call.store.put(intent)
    call.event("payment_intent.payment_failed", intent)
    return intent


def capture_payment_intent(call: Call, intent_id: str) -> Response:
    check_known(call.params, {"amount_to_capture", "final_capture", "metadata", "expand"})
    intent = call.store.get(intent_id, "payment_intent", "intent")
    if intent["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
            "Only a PaymentIntent with one of the following statuses may be captured: requires_capture."
        )
    capturable = intent["amount_capturable"]
    amount = as_int(call.params, "amount_to_capture")
    amount = capturable if amount is None else amount
    if amount <= 0:
        raise invalid("amount_to_capture must be a positive integer.", param="amount_to_capture")
    if amount > capturable:
        raise invalid(
            f"The amount to capture ({amount}) must be less than or equal to the amount capturable ({capturable}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    final = as_bool(call.params, "final_capture", True)
    charge = call.store.get(intent["latest_charge"], "charge", "latest_charge")
    if not final and charge["payment_method_details"]["card"]["multicapture"]["status"] != "available":
        raise invalid(
            "final_capture=false can only be used when multicapture is available for this PaymentIntent "
            "(create it with payment_method_options[card][request_multicapture]=if_available).",
            param="final_capture",
        )
    if intent["_captures"] >= MAX_CAPTURES:
        raise invalid(f"A PaymentIntent can be captured at most {MAX_CAPTURES} times.", param="amount_to_capture")
    previous = {"amount_captured": charge["amount_captured"]}
    charge["amount_captured"] += amount
    charge["captured"] = True
    intent["_captures"] += 1
    intent["amount_received"] += amount
    intent["amount_capturable"] = capturable - amount
    intent["metadata"].update(as_metadata(call.params))
    if final or intent["amount_capturable"] == 0:
        intent["status"] = "succeeded"
        intent["amount_capturable"] = 0  # the rest of the authorization is released
    call.store.put(charge)
    call.store.put(intent)
    call.event("charge.captured", charge, previous)
    if intent["status"] == "succeeded":
        call.event("payment_intent.succeeded", intent)
    else:
        call.event("payment_intent.amount_capturable_updated", intent)
    return 200, render(call, intent)


def cancel_payment_intent(call: Call, intent_id: str) -> Response:
    check_known(call.params, {"cancellation_reason", "expand"})
    reason = as_str(call.params, "cancellation_reason")
    if reason and reason not in ("duplicate", "fraudulent", "requested_by_customer", "abandoned"):
        raise invalid(f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
    intent = call.store.get(intent_id, "payment_intent", "intent")
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
            f"Only a PaymentIntent with one of the following statuses may be canceled: {', '.join(CANCELABLE)}."
        )
    intent["next_action"] = None
    if intent["status"] == "requires_capture" and intent["amount_received"] > 0:
        # Multicapture: canceling after partial captures releases the rest and completes the intent.
        intent.update(status="succeeded", amount_capturable=0)
        call.store.put(intent)
        call.event("payment_intent.succeeded", intent)
        return 200, render(call, intent)
    intent.update(status="canceled", amount_capturable=0, canceled_at=_now(), cancellation_reason=reason)
    call.store.put(intent)
    call.event("payment_intent.canceled", intent)
    return 200, render(call, intent)


# --- Charges and refunds ---------------------------------------------------------------------


def retrieve_charge(call: Call, charge_id: str) -> Response:
    check_known(call.params, {"expand"})
    return 200, render(call, call.store.get(charge_id, "charge", "charge"))


def create_refund(call: Call) -> Response:
    params = call.params
    check_known(params, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
    charge = _refundable_charge(call)
    refundable = charge["amount_captured"] - charge["amount_refunded"]
    if refundable <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = as_int(params, "amount")
    amount = refundable if amount is None else amount
    if amount <= 0:
        raise invalid("Invalid positive integer", param="amount")
    if amount > refundable:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})",
            param="amount",
            code="amount_too_large",
        )
    reason = as_str(params, "reason")
    if reason and reason not in ("duplicate", "fraudulent", "requested_by_customer"):
        raise invalid(f"Invalid reason: {reason}", param="reason")
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": _now(),
        "currency": charge["currency"],
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": as_metadata(params),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    call.store.put(refund)
    call.store.put(charge)
    call.event("refund.created", refund)
    call.event("charge.refunded", charge, previous)
    return 200, render(call, refund)


def _refundable_charge(call: Call) -> dict[str, Any]:
    intent_id, charge_id = as_str(call.params, "payment_intent"), as_str(call.params, "charge")
    if bool(intent_id) == bool(charge_id):
        raise invalid("Pass exactly one of payment_intent or charge.", param="payment_intent")
    if intent_id:
        intent = call.store.find(intent_id, "payment_intent")
        if intent is None:
            raise StripeError(
                400, f"No such payment_intent: '{intent_id}'", code="resource_missing", param="payment_intent"
            )
        charge_id = intent["latest_charge"]
        if not charge_id or intent["amount_received"] == 0:
            raise StripeError(
                400,
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
    assert charge_id is not None
    charge = call.store.find(charge_id, "charge")
    if charge is None:
        raise StripeError(400, f"No such charge: '{charge_id}'", code="resource_missing", param="charge")
    if not charge["captured"]:
        raise StripeError(
            400,
            f"Charge {charge_id} has not been captured; cancel its PaymentIntent instead.",
            code="charge_not_refundable",
        )
    return charge


def retrieve_refund(call: Call, refund_id: str) -> Response:
    check_known(call.params, {"expand"})
    return 200, render(call, call.store.get(refund_id, "refund", "refund"))


# --- Webhook endpoints and events ------------------------------------------------------------


def create_webhook_endpoint(call: Call) -> Response:
    check_known(call.params, {"url", "enabled_events", "description", "metadata", "api_version"})
    url = as_str(call.params, "url", required=True) or ""
    if not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must start with http:// or https://", param="url")
    events = call.params.get("enabled_events")
    if not isinstance(events, list) or not events:
        raise invalid("Missing required param: enabled_events.", param="enabled_events", code="parameter_missing")
    endpoint = webhook_endpoint(new_id("we"), url, events, f"whsec_{new_id('x', 32)[2:]}")
    endpoint["description"] = as_str(call.params, "description")
    endpoint["metadata"] = as_metadata(call.params)
    call.store.put(endpoint)
    return 200, {**public(endpoint), "secret": endpoint["_secret"]}


def webhook_endpoint(endpoint_id: str, url: str, events: list[str], secret: str) -> dict[str, Any]:
    return {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": _now(),
        "description": None,
        "enabled_events": events,
        "livemode": False,
        "metadata": {},
        "status": "enabled",
        "url": url,
        "_secret": secret,
    }


def list_webhook_endpoints(call: Call) -> Response:
    check_known(call.params, {"limit", "starting_after"})
    return _list(call, "webhook_endpoint", "/v1/webhook_endpoints")


def delete_webhook_endpoint(call: Call, endpoint_id: str) -> Response:
    endpoint = call.store.get(endpoint_id, "webhook_endpoint")
    endpoint["status"] = "disabled"
    call.store.put(endpoint)
    return 200, {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def list_events(call: Call) -> Response:
    check_known(call.params, {"limit", "starting_after", "type"})
    event_type = as_str(call.params, "type")
    return _list(call, "event", "/v1/events", {"type": event_type} if event_type else None)


def retrieve_event(call: Call, event_id: str) -> Response:
    return 200, public(call.store.get(event_id, "event"))
