"""Returns: a customer sends delivered units back within the return window, and is refunded.

``request_return`` checks everything under the order's row lock (delivered, inside the
window, lines of this order, no more units than are left to return) and writes the
return, its lines, the order's move to ``return_requested`` and ``ReturnRequested`` in
one transaction. Fulfillment answers with a return label and, once the warehouse has the
parcel, ``ReturnReceived``; then :func:`return_received` starts the refund saga
(``shop.orders.refunds``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shop.core.errors import DomainError
from shop.core.events import publish
from shop.core.keyset import KeysetPage, paginate
from shop.orders import lifecycle
from shop.orders.events import ReturnRejected, ReturnRequested
from shop.orders.lifecycle import InvalidTransition
from shop.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnStatus,
)
from shop.orders.tasks import run_refund
from shop.orders.transitions import lock, move

MAX_REASON = 500
CENT = Decimal("0.01")


class ReturnRefused(DomainError):
    """The return cannot be made as asked; nothing was written. ``fields`` name the bad input."""


class ReturnNotFound(Exception):
    pass


@dataclass(frozen=True)
class ReturnLineInfo:
    line_id: int
    sku_id: int
    product_id: int
    product_name: str
    sku_code: str
    quantity: int
    unit_price: Decimal
    warehouse_id: int | None


@dataclass(frozen=True)
class ReturnInfo:
    return_id: int
    order_id: int
    order_number: str
    user_id: int | None
    email: str
    status: str
    reason: str
    amount: Decimal
    currency: str
    requested_at: datetime
    received_at: datetime | None
    closed_at: datetime | None
    refund_id: str
    lines: list[ReturnLineInfo]

    @property
    def status_label(self) -> str:
        return ReturnStatus(self.status).label


def return_window_days() -> int:
    return ReturnPolicy.window()


def return_window_ends(delivered_at: datetime | None) -> datetime | None:
    return delivered_at + timedelta(days=return_window_days()) if delivered_at else None


def returnable_quantities(order_id: int) -> dict[int, int]:
    """line id → units still returnable (bought minus those in returns not rejected)."""
    lines = dict(OrderLine.objects.filter(order_id=order_id).values_list("id", "quantity"))
    taken = (
        ReturnLine.objects.filter(line__order_id=order_id)
        .exclude(ret__status=ReturnStatus.REJECTED)
        .values("line_id")
        .annotate(units=Sum("quantity"))
    )
    for row in taken:
        lines[row["line_id"]] -= row["units"]
    return lines


def request_return(order_id: int, *, actor: str, lines: Sequence[tuple[int, int]], reason: str = "") -> ReturnInfo:
    """Return ``lines`` given as (order line id, quantity); raises :class:`ReturnRefused` or
    :class:`InvalidTransition` (nothing written) when that is not possible."""
    wanted = _parse_lines(lines)
    reason = (reason or "").strip()[:MAX_REASON]
    with transaction.atomic():
        order = lock(order_id)
        _check_returnable(order, actor)
        remaining = returnable_quantities(order.id)
        errors = {}
        for line_id, quantity in wanted.items():
            if line_id not in remaining:
                errors[f"lines.{line_id}"] = ["This line is not part of the order."]
            elif quantity > remaining[line_id]:
                errors[f"lines.{line_id}"] = [f"Only {remaining[line_id]} unit(s) of this line can still be returned."]
        if errors:
            raise ReturnRefused(next(iter(errors.values()))[0], "invalid_lines", errors)
        order_lines = {line.id: line for line in OrderLine.objects.filter(id__in=wanted)}
        ret = Return.objects.create(
            order=order,
            reason=reason,
            amount=_refund_amount(order, [(order_lines[i], q) for i, q in wanted.items()]),
            currency=order.currency,
            requested_by=actor,
        )
        ReturnLine.objects.bulk_create(ReturnLine(ret=ret, line_id=i, quantity=q) for i, q in wanted.items())
        move(order, OrderStatus.RETURN_REQUESTED, actor, reason or f"return {ret.id} requested")
        publish(
            ReturnRequested(
                return_id=ret.id,
                order_id=order.id,
                order_number=order.number,
                email=order.email,
                lines=[
                    {
                        "line_id": line.id,
                        "sku_id": line.sku_id,
                        "product_id": line.product_id,
                        "product_name": line.product_name,
                        "quantity": wanted[line.id],
                        "warehouse_id": line.warehouse_id,
                    }
                    for line in order_lines.values()
                ],
            )
        )
    return get_return(ret.id)


def _parse_lines(lines: Sequence[tuple[int, int]]) -> dict[int, int]:
    if not lines:
        raise ReturnRefused("Choose at least one item to return.", "invalid", {"lines": ["Choose at least one item."]})
    wanted: dict[int, int] = defaultdict(int)
    for line_id, quantity in lines:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ReturnRefused(
                "Quantities must be whole numbers above zero.", "invalid", {f"lines.{line_id}": ["Must be at least 1."]}
            )
        wanted[int(line_id)] += quantity
    return dict(wanted)


def _check_returnable(order: Order, actor: str) -> None:
    if order.status == OrderStatus.RETURN_REQUESTED:
        raise ReturnRefused("A return for this order is already open.", "return_open")
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.REFUNDED) or order.delivered_at is None:
        raise ReturnRefused(
            f"Only delivered items can be returned; this order is {lifecycle.label(order.status).lower()}.",
            "not_delivered",
        )
    ends = return_window_ends(order.delivered_at)
    if ends is not None and timezone.now() > ends:
        raise ReturnRefused(
            f"The return window closed on {ends:%d %b %Y} ({return_window_days()} days after delivery).",
            "outside_window",
        )
    lifecycle.check(order.status, OrderStatus.RETURN_REQUESTED, actor)


def _refund_amount(order: Order, lines: list[tuple[OrderLine, int]]) -> Decimal:
    """The goods' price plus their share of the order's tax; shipping is not refunded.
    Never more than what is left of the order's total after earlier returns."""
    goods = sum((line.unit_price * quantity for line, quantity in lines), Decimal(0))
    tax = (order.tax_total * goods / order.subtotal).quantize(CENT, ROUND_HALF_UP) if order.subtotal else Decimal(0)
    earlier = (
        Return.objects.filter(order=order).exclude(status=ReturnStatus.REJECTED).aggregate(total=Sum("amount"))["total"]
    ) or Decimal(0)
    return min(goods + tax, order.grand_total - earlier)


def return_received(return_id: int, *, actor: str) -> bool:
    """The warehouse has the parcel: the order becomes ``returned`` and the refund saga starts.
    Idempotent (True if it happened now); a rejected return raises :class:`InvalidTransition`."""
    with transaction.atomic():
        order_id = Return.objects.filter(id=return_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise ReturnNotFound(f"No return with id {return_id}.")
        order = lock(order_id)
        ret = Return.objects.select_for_update().get(id=return_id)
        if ret.status == ReturnStatus.REJECTED:
            raise InvalidTransition(f"Return {ret.id} was rejected.", "return_rejected")
        if ret.status != ReturnStatus.REQUESTED:
            return False
        ret.status = ReturnStatus.RECEIVED
        ret.received_at = timezone.now()
        ret.save(update_fields=["status", "received_at"])
        move(order, OrderStatus.RETURNED, actor, f"return {ret.id} received at the warehouse")
        refund = Refund.objects.create(ret=ret, amount=ret.amount, currency=ret.currency)
        transaction.on_commit(lambda: run_refund.delay(refund.id))
    return True


def reject_return(return_id: int, *, actor: str, reason: str) -> None:
    """Staff refuse an open return that never arrived (or is not returnable): the order is
    delivered again and the units count as not returned."""
    with transaction.atomic():
        order_id = Return.objects.filter(id=return_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise ReturnNotFound(f"No return with id {return_id}.")
        order = lock(order_id)
        ret = Return.objects.select_for_update().get(id=return_id)
        if ret.status != ReturnStatus.REQUESTED:
            raise InvalidTransition(f"Return {ret.id} is {ret.get_status_display().lower()}.", "return_not_open")
        ret.status = ReturnStatus.REJECTED
        ret.closed_at = timezone.now()
        ret.save(update_fields=["status", "closed_at"])
        move(order, OrderStatus.DELIVERED, actor, reason or f"return {ret.id} rejected")
        publish(ReturnRejected(return_id=ret.id, order_id=order.id, order_number=order.number, reason=reason))


def open_return_id(order_id: int) -> int | None:
    return (
        Return.objects.filter(order_id=order_id, status=ReturnStatus.REQUESTED)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def get_return(return_id: int) -> ReturnInfo:
    ret = Return.objects.select_related("order", "refund").prefetch_related("lines__line").filter(id=return_id).first()
    if ret is None:
        raise ReturnNotFound(f"No return with id {return_id}.")
    return _info(ret)


def returns_of(order_id: int) -> list[ReturnInfo]:
    rows = (
        Return.objects.filter(order_id=order_id)
        .select_related("order", "refund")
        .prefetch_related("lines__line")
        .order_by("id")
    )
    return [_info(ret) for ret in rows]


def returns_for_user(user_id: int, *, cursor: str | None = None, size: int = 20) -> KeysetPage[ReturnInfo]:
    """A customer's returns over all orders, newest first, in keyset pages (InvalidCursor on a bad cursor)."""
    rows = (
        Return.objects.filter(order__user_id=user_id).select_related("order", "refund").prefetch_related("lines__line")
    )
    page = paginate(rows, ["-requested_at", "-id"], cursor, size)
    return KeysetPage([_info(ret) for ret in page.items], page.next_cursor, page.previous_cursor)


def _info(ret: Return) -> ReturnInfo:
    refund = getattr(ret, "refund", None)
    return ReturnInfo(
        return_id=ret.id,
        order_id=ret.order_id,
        order_number=ret.order.number,
        user_id=ret.order.user_id,
        email=ret.order.email,
        status=ret.status,
        reason=ret.reason,
        amount=ret.amount,
        currency=ret.currency,
        requested_at=ret.requested_at,
        received_at=ret.received_at,
        closed_at=ret.closed_at,
        refund_id=refund.refund_id if refund else "",
        lines=[
            ReturnLineInfo(
                line_id=x.line_id,
                sku_id=x.line.sku_id,
                product_id=x.line.product_id,
                product_name=x.line.product_name,
                sku_code=x.line.sku_code,
                quantity=x.quantity,
                unit_price=x.line.unit_price,
                warehouse_id=x.line.warehouse_id,
            )
            for x in ret.lines.all()
        ],
    )
