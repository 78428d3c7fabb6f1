"""Storefront cart pages: the cart, and the forms that change it (POST, then redirect).

A refused change (bad quantity, out of stock, ...) comes back as a message
on the page the shopper was on; the cart is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from shop.cart import services
from shop.cart.forms import AddToCartForm, QuantityForm
from shop.cart.services import CartError, CartOwner
from shop.cart.web import owner_for_change, owner_of


@require_safe
def cart_page(request: HttpRequest) -> HttpResponse:
    cart = services.get_cart(owner_of(request))
    response = render(request, "cart/cart.html", {"cart": cart})
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    back = _back(request)
    if not form.is_valid():
        messages.error(request, "Choose an option and a quantity of at least 1.")
        return HttpResponseRedirect(back)
    owner, new_token = owner_for_change(request)
    try:
        services.add_item(owner, form.cleaned_data["sku_id"], form.cleaned_data["quantity"])
    except CartError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    messages.success(request, "Added to your cart.")
    response = HttpResponseRedirect(reverse("cart:page"))
    if new_token:
        services.remember_guest_token(response, new_token)
    return response


@require_POST
def update(request: HttpRequest, sku_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Quantity must be a whole number.")
    else:
        _apply(request, lambda owner: services.set_quantity(owner, sku_id, form.cleaned_data["quantity"]), "Updated.")
    return HttpResponseRedirect(reverse("cart:page"))


@require_POST
def remove(request: HttpRequest, sku_id: int) -> HttpResponse:
    _apply(request, lambda owner: services.remove_item(owner, sku_id), "Removed from your cart.")
    return HttpResponseRedirect(reverse("cart:page"))


@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    services.clear(owner_of(request))
    messages.success(request, "Your cart is empty.")
    return HttpResponseRedirect(reverse("cart:page"))


def _apply(request: HttpRequest, change: Callable[[CartOwner], object], done: str) -> None:
    try:
        change(owner_of(request))
    except CartError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("cart:page")
