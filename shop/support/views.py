"""The customer's help pages in the account area: my tickets, open one (from an order page
or in general), the conversation with a reply form, mark resolved. Someone else's ticket or
order is a 404. Forms carry a key rendered with the page, so a double submit acts once; new
tickets and messages share the API's per-customer rate limits (429 with ``Retry-After``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from shop.core.forms import add_domain_error
from shop.core.keyset import page_or_first
from shop.orders import services as orders
from shop.support import services
from shop.support.forms import NewTicketForm, ReplyForm, new_key
from shop.support.throttling import MessageThrottle, TicketThrottle, retry_after

PAGE_SIZE = 20
RECENT_ORDERS = 20


@login_required
@require_safe
def ticket_list(request: HttpRequest) -> HttpResponse:
    page = page_or_first(
        lambda cursor: services.tickets_for_user(request.user.id, cursor=cursor, size=PAGE_SIZE),
        request.GET.get("cursor"),
    )
    return render(request, "support/list.html", {"page": page})


def _recent_orders(request: HttpRequest, order_id: int | None) -> list[orders.OrderInfo]:
    """The customer's recent orders to choose from, plus the one asked about (404 if not theirs)."""
    recent = orders.orders_for_user(request.user.id, size=RECENT_ORDERS).items
    if order_id is not None and all(o.order_id != order_id for o in recent):
        order = orders.get_order(order_id)
        if order is None or order.user_id != request.user.id:
            raise Http404("No such order")
        recent = [order, *recent]
    return recent


def _too_many(request: HttpRequest, wait: int, template: str, context: dict) -> HttpResponse:
    minutes = max(1, round(wait / 60))
    context["throttled"] = f"You have sent a lot of messages; please try again in about {minutes} minute(s)."
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


@login_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    asked = request.GET.get("order") or ""
    order_id = int(asked) if asked.isdigit() and len(asked) <= 18 else None
    if asked and order_id is None:
        raise Http404("No such order")
    form = NewTicketForm(
        request.POST or None,
        recent_orders=_recent_orders(request, order_id),
        initial={"order_id": order_id, "client_key": new_key()},
    )
    context = {"form": form, "order_id": order_id}
    if request.method != "POST":
        return render(request, "support/new.html", context)
    if form.is_valid():
        wait = retry_after(TicketThrottle, request)
        if wait is not None:
            return _too_many(request, wait, "support/new.html", context)
        data = form.cleaned_data
        try:
            ticket = services.open_ticket(
                user_id=request.user.id,
                category=data["category"],
                subject=data["subject"],
                body=data["body"],
                order_id=data["order_id"],
                client_key=data["client_key"],
            )
        except services.OrderNotFound:
            raise Http404("No such order") from None
        except services.SupportError as error:
            add_domain_error(form, error)
        else:
            if not ticket.replayed:
                messages.success(request, "Thank you: your request is open. We answer by email and on this page.")
            return redirect("support:detail", ticket.ticket_id)
    return render(request, "support/new.html", context, status=400)


@login_required
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The conversation; a POST is the customer's reply."""
    ticket = services.get_ticket(ticket_id, user_id=request.user.id)
    if ticket is None:
        raise Http404("No such ticket")
    form = ReplyForm(request.POST or None, initial={"client_key": new_key()})
    context = {"ticket": ticket, "form": form}
    if request.method != "POST":
        return render(request, "support/detail.html", context)
    if form.is_valid():
        wait = retry_after(MessageThrottle, request)
        if wait is not None:
            return _too_many(request, wait, "support/detail.html", context)
        try:
            services.customer_reply(
                ticket_id,
                user_id=request.user.id,
                body=form.cleaned_data["body"],
                client_key=form.cleaned_data["client_key"],
            )
        except services.TicketNotFound:
            raise Http404("No such ticket") from None
        except services.SupportError as error:
            add_domain_error(form, error)
        else:
            return redirect("support:detail", ticket_id)
    return render(request, "support/detail.html", context, status=400)


@login_required
@require_POST
def resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        services.customer_resolve(ticket_id, user_id=request.user.id)
    except services.TicketNotFound:
        raise Http404("No such ticket") from None
    messages.success(request, "Marked resolved. Write again any time: the conversation reopens.")
    return redirect("support:detail", ticket_id)
