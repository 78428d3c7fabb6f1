"""Storefront checkout: address, shipping option, card, review, place order; then a page that
follows the saga to its end (a small script polls the status API; without JavaScript the page
refreshes itself).

The chosen address is kept in the session between the two forms; a customer with a saved
default address starts with it. Every rule is in ``shop.checkout.services``; a refusal comes
back as a message on the page with the cart left as it was.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from shop.accounts import services as accounts
from shop.cart import services as cart
from shop.checkout import services
from shop.checkout.forms import AddressForm, PlaceOrderForm
from shop.checkout.services import CheckoutError
from shop.core import idempotency
from shop.core.forms import add_domain_error

SESSION_ADDRESS = "checkout_address"


@login_required
@require_safe
def checkout_page(request: HttpRequest) -> HttpResponse:
    return _page(request, change_address=request.GET.get("change") == "address")


@login_required
@require_POST
def choose_address(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST, saved=accounts.list_addresses(request.user.pk))
    if form.is_valid():
        try:
            address = services.address_from_request(request.user.pk, form.request_data())
        except CheckoutError as error:
            add_domain_error(form, error, prefix="shipping_address.")
        else:
            request.session[SESSION_ADDRESS] = address.as_dict()
            return redirect("checkout:page")
    return _page(request, address_form=form, status=400)


@login_required
@require_POST
def place_order(request: HttpRequest) -> HttpResponse:
    form = PlaceOrderForm(request.POST)
    address = _address(request)
    if address is None:
        messages.error(request, "Choose where to deliver your order first.")
        return redirect("checkout:page")
    if not form.is_valid():
        return _page(request, error="Please choose a shipping option and enter your card again.", status=400)
    data = form.cleaned_data
    try:
        info, _created = services.start_checkout(
            request.user.pk,
            data["idempotency_key"],
            {
                "shipping_address": address,
                "shipping_option": data["shipping_option"],
                "payment_method": data["payment_method"],
            },
        )
    except idempotency.IdempotencyError as error:  # the page's key sent again with other choices, or garbled
        message = "That form has expired; please try again."
        return _page(request, error=message, option=data["shipping_option"], status=error.status)
    except CheckoutError as error:
        option = data["shipping_option"]
        return _page(request, error=error.message, error_code=error.code, option=option, status=error.status)
    return redirect("checkout:confirmation", info.checkout_id)


@login_required
@require_safe
def confirmation(request: HttpRequest, checkout_id: uuid.UUID) -> HttpResponse:
    info = services.get_checkout(checkout_id, request.user.pk)
    if info is None:
        raise Http404("No such checkout.")
    context = {"checkout": info, "status_url": reverse("api-checkout-detail", args=[info.checkout_id])}
    response = render(request, "checkout/confirmation.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _address(request: HttpRequest) -> dict[str, str] | None:
    """The address chosen in this session, else the customer's default saved one."""
    chosen = request.session.get(SESSION_ADDRESS)
    if chosen:
        return chosen
    default = accounts.default_address(request.user.pk)
    if default is None:
        return None
    try:
        return services.address_from_request(request.user.pk, {"address_id": default.address_id}).as_dict()
    except CheckoutError:
        return None  # an old saved address we cannot ship to as it is: ask for one


def _page(
    request: HttpRequest,
    *,
    change_address: bool = False,
    address_form: AddressForm | None = None,
    error: str = "",
    error_code: str = "",
    option: str = "",
    status: int = 200,
) -> HttpResponse:
    user_id = request.user.pk
    view = cart.get_cart(cart.CartOwner(user_id=user_id))
    context: dict[str, Any] = {"cart": view, "error": error}
    if error_code in ("invalid_payment_method", "card_data_rejected"):
        context["card_error"] = error
    address = _address(request) if view.items else None
    if view.items and (address is None or change_address or address_form is not None):
        context["address_form"] = address_form or AddressForm(saved=accounts.list_addresses(user_id))
    if address is not None and "address_form" not in context:
        context["address"] = address
        try:
            _address_used, quotes = services.quote_cart(user_id, {"shipping_address": address})
        except CheckoutError as quote_error:
            context["quote_error"] = quote_error.message
            quotes = []
        context["quotes"] = quotes
        offered = [q.option for q in quotes]
        context["selected_option"] = option if option in offered else (offered[0] if offered else "")
        context["idempotency_key"] = uuid.uuid4()  # one per rendering: a double click sends it twice
    response = render(request, "checkout/checkout.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response
