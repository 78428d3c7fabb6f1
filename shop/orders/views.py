"""The customer's account pages for orders: history, detail with its timeline and tracking,
cancel, request a return and download its label, and the list of their
returns. Someone else's order is a 404.

The forms carry an idempotency key rendered with the page, so a double submit (or a
reload of the POST) acts once, as the API's ``Idempotency-Key`` does.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from shop.core import idempotency
from shop.core.keyset import page_or_first
from shop.fulfillment import services as fulfillment
from shop.orders import services
from shop.orders.api.views import label_response
from shop.orders.detail import order_detail
from shop.orders.forms import ReturnForm

PAGE_SIZE = 20


def _own_order(request: HttpRequest, order_id: int) -> services.OrderInfo:
    order = services.get_order(order_id)
    if order is None or order.user_id != request.user.id:
        raise Http404("No such order")
    return order


def _actor(request: HttpRequest) -> str:
    return f"customer:{request.user.id}"


@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    page = page_or_first(
        lambda cursor: services.orders_for_user(request.user.id, cursor=cursor, size=PAGE_SIZE),
        request.GET.get("cursor"),
    )
    return render(request, "orders/list.html", {"page": page})


@login_required
@require_safe
def return_list(request: HttpRequest) -> HttpResponse:
    """Every return of the customer's with where its refund stands, newest first."""
    page = page_or_first(
        lambda cursor: services.returns_for_user(request.user.id, cursor=cursor, size=PAGE_SIZE),
        request.GET.get("cursor"),
    )
    return render(request, "orders/returns.html", {"page": page})


@login_required
@require_safe
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    detail = order_detail(order, _actor(request))
    return render(request, "orders/detail.html", {"detail": detail, "order": order, "key": uuid.uuid4()})


@login_required
@require_POST
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    _own_order(request, order_id)

    def perform() -> tuple[int, dict]:
        services.cancel_order(order_id, actor=_actor(request), reason="cancelled by the customer")
        return 200, {}

    try:
        answer = idempotency.run_once(
            request.user.id, request.POST.get("idempotency_key", ""), "cancel", {"order_id": order_id}, perform
        )
    except idempotency.IdempotencyError:
        messages.error(request, "That form has expired; please try again.")
    except services.InvalidTransition as refused:
        messages.error(request, refused.message)
    else:
        if not answer.replayed:
            messages.success(request, "Your order is cancelled. The amount held on your card is released.")
    return redirect("orders:detail", order_id)


@login_required
def request_return(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    returnable = services.returnable_quantities(order_id)
    form = ReturnForm(request.POST or None, lines=order.lines, returnable=returnable)
    if request.method == "POST" and form.is_valid():
        lines, reason = form.selected_lines(), form.cleaned_data["reason"]

        def perform() -> tuple[int, dict]:
            ret = services.request_return(order_id, actor=_actor(request), lines=lines, reason=reason)
            return 201, {"return_id": ret.return_id}

        try:
            idempotency.run_once(
                request.user.id,
                request.POST.get("idempotency_key", ""),
                "return",
                {"order_id": order_id, "lines": lines, "reason": reason},
                perform,
            )
        except idempotency.IdempotencyError:
            form.add_error(None, "That form has expired; please try again.")
        except services.ReturnRefused as refused:
            form.add_error(None, refused.message)
        except services.InvalidTransition as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, "Your return is registered. Your prepaid label appears on this page in a few seconds."
            )
            return redirect("orders:detail", order_id)
    return render(
        request,
        "orders/return_form.html",
        {
            "order": order,
            "form": form,
            "key": request.POST.get("idempotency_key") or uuid.uuid4(),
            "window_ends": services.return_window_ends(order.delivered_at),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def return_label(request: HttpRequest, order_id: int, return_id: int) -> HttpResponse:
    _own_order(request, order_id)
    try:
        ret = services.get_return(return_id)
    except services.ReturnNotFound:
        raise Http404("No such return") from None
    pdf = fulfillment.return_label(return_id) if ret.order_id == order_id else None
    if pdf is None:
        raise Http404("The label is not ready yet")
    return label_response(pdf, f"return-{return_id}-label.pdf")
