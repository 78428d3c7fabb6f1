"""The fulfillment domain's published interface: shipments, warehouse reports, tracking, return parcels.

An order ships as one shipment per warehouse its lines were allocated from. Each
shipment carries its share of the order's total; when it ships, that share is captured
(``shop.payments.services.capture(..., final=<last one>)``). A failed capture stops the
parcel (``on_hold``) and alerts staff. A replacement parcel (:func:`reship`) takes stock but
captures nothing and never moves the order.

Locks: a change to a shipment locks all of its order's shipments (ascending id), then
reports to orders (``shipments_progressed``), which locks the order row. Orders never
locks shipments, so there is one lock order and no deadlock; a pick racing a
cancellation is decided by the order's row lock (exactly one of them wins).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from shop.core.errors import DomainError
from shop.core.events import publish
from shop.core.money import Money
from shop.fulfillment import warehouses
from shop.fulfillment.carriers import Address, Parcel, RateQuote, TrackingUpdate, carrier
from shop.fulfillment.events import (
    ReturnLabelCreated,
    ReturnReceived,
    ShipmentDelivered,
    ShipmentHeld,
    ShipmentShipped,
)
from shop.fulfillment.models import (
    ORDER_STAGE,
    CarrierChoice,
    ReturnParcel,
    ReturnParcelStatus,
    Shipment,
    ShipmentKind,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)
from shop.fulfillment.warehouses import PickInstruction, PickLine, ReturnInstruction
from shop.inventory import services as inventory
from shop.notifications import services as notifications
from shop.orders import services as orders
from shop.payments import services as payments

log = logging.getLogger(__name__)
S = ShipmentStatus
CENT = Decimal("0.01")


class WarehouseReportRefused(DomainError):
    """A warehouse report that cannot be accepted (the order was cancelled, the parcel is
    not at that step); nothing changed. The warehouse should stop working on the parcel."""

    status = 409


class ShipmentNotFound(Exception):
    pass


class ReshipRefused(DomainError):
    """A replacement parcel that cannot be sent as asked; nothing changed (no stock taken, no
    parcel). ``fields`` name the bad lines."""


# --- Reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipmentLineInfo:
    line_id: int
    sku_id: int
    sku_code: str
    product_name: str
    quantity: int


@dataclass(frozen=True)
class TrackingEventInfo:
    code: str
    description: str
    location: str
    occurred_at: datetime


@dataclass(frozen=True)
class ShipmentInfo:
    shipment_id: int
    reference: str
    order_id: int
    order_number: str
    warehouse_id: int | None
    status: str
    status_label: str
    amount: Money
    captured: Money
    carrier: str
    carrier_service: str
    tracking_number: str
    tracking_url: str
    tracking_status: str
    hold_reason: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    lines: tuple[ShipmentLineInfo, ...]
    events: tuple[TrackingEventInfo, ...]
    kind: str = ShipmentKind.ORDER

    @property
    def is_reship(self) -> bool:
        return self.kind == ShipmentKind.RESHIP

    @property
    def carrier_name(self) -> str:
        return carrier_name(self.carrier)


def carrier_name(code: str) -> str:
    """The carrier as shoppers know it ("Simex"), not its code or its service's code."""
    try:
        return carrier(code).name
    except LookupError:  # a carrier since removed from FULFILLMENT_CARRIERS
        return code.upper()


@dataclass(frozen=True)
class ReturnParcelInfo:
    return_id: int
    reference: str
    status: str
    carrier: str
    tracking_number: str
    created_at: datetime
    received_at: datetime | None


def _tracking_url(shipment: Shipment) -> str:
    if not shipment.tracking_number:
        return ""
    return carrier(shipment.carrier).tracking_url(shipment.tracking_number)


def _info(shipment: Shipment) -> ShipmentInfo:
    return ShipmentInfo(
        shipment_id=shipment.id,
        reference=shipment.reference,
        order_id=shipment.order_id,
        order_number=shipment.order_number,
        warehouse_id=shipment.warehouse_id,
        status=shipment.status,
        status_label=shipment.get_status_display(),
        amount=Money.of(shipment.amount, shipment.currency),
        captured=Money.of(shipment.captured_amount, shipment.currency),
        carrier=shipment.carrier,
        carrier_service=shipment.carrier_service,
        tracking_number=shipment.tracking_number or "",
        tracking_url=_tracking_url(shipment),
        tracking_status=shipment.tracking_status,
        hold_reason=shipment.hold_reason,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
        lines=tuple(
            ShipmentLineInfo(x.line_id, x.sku_id, x.sku_code, x.product_name, x.quantity) for x in shipment.lines.all()
        ),
        events=tuple(
            TrackingEventInfo(e.code, e.description, e.location, e.occurred_at) for e in shipment.tracking_events.all()
        ),
        kind=shipment.kind,
    )


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.defer("label_pdf").prefetch_related("lines", "tracking_events")


def shipments_for_order(order_id: int) -> list[ShipmentInfo]:
    return [_info(s) for s in _shipments().filter(order_id=order_id).order_by("id")]


def get_shipment(shipment_id: int) -> ShipmentInfo | None:
    shipment = _shipments().filter(id=shipment_id).first()
    return _info(shipment) if shipment else None


def track(tracking_number: str) -> ShipmentInfo | None:
    shipment = _shipments().filter(tracking_number=tracking_number).first()
    return _info(shipment) if shipment else None


def shipment_label(shipment_id: int) -> bytes | None:
    pdf = Shipment.objects.filter(id=shipment_id).values_list("label_pdf", flat=True).first()
    return bytes(pdf) if pdf else None


def return_parcel(return_id: int) -> ReturnParcelInfo | None:
    return return_parcels([return_id]).get(return_id)


def return_parcels(return_ids: Iterable[int]) -> dict[int, ReturnParcelInfo]:
    """The parcels of these returns, by return id (a return whose label is not made yet has
    none): one query, so an order page costs the same however many returns it shows."""
    parcels = ReturnParcel.objects.defer("label_pdf", "lines").filter(return_id__in=list(return_ids))
    return {
        parcel.return_id: ReturnParcelInfo(
            parcel.return_id,
            parcel.reference,
            parcel.status,
            parcel.carrier,
            parcel.tracking_number,
            parcel.created_at,
            parcel.received_at,
        )
        for parcel in parcels
    }


def return_label(return_id: int) -> bytes | None:
    pdf = ReturnParcel.objects.filter(return_id=return_id).values_list("label_pdf", flat=True).first()
    return bytes(pdf) if pdf else None


def units_in(reference: str) -> int:
    if reference.startswith("RET-"):
        parcel = ReturnParcel.objects.get(return_id=_id(reference, "RET-"))
        return sum(line["quantity"] for line in parcel.lines)
    total = ShipmentLine.objects.filter(shipment_id=_id(reference, "SHP-")).aggregate(units=Sum("quantity"))
    return total["units"] or 0


# --- Shipments for a payment-confirmed order ---------------------------------------------------


def split_total(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Shares of ``total`` proportional to ``weights``, in cents, summing exactly to ``total``
    (the rounding remainder goes to the last share)."""
    whole = sum(weights, Decimal(0))
    if whole <= 0:
        return [Decimal(0)] * (len(weights) - 1) + [total]
    shares = [(total * weight / whole).quantize(CENT, ROUND_DOWN) for weight in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def create_shipments(order_id: int) -> list[int]:
    """One shipment per warehouse of the order's lines, each with its share of the total;
    the warehouses get their instructions after commit. Idempotent per order."""
    order = orders.get_order(order_id)
    if order is None or order.status != orders.OrderStatus.PAYMENT_CONFIRMED:
        return []
    existing = list(Shipment.objects.filter(order_id=order_id).values_list("id", flat=True))
    if existing:
        return existing
    groups: dict[int | None, list[orders.OrderLineInfo]] = defaultdict(list)
    for line in order.lines:
        groups[line.warehouse_id].append(line)
    keys = sorted(groups, key=lambda w: (w is None, w or 0))
    shares = split_total(order.grand_total, [sum((x.line_total for x in groups[k]), Decimal(0)) for k in keys])
    created = []
    with transaction.atomic():
        for warehouse_id, share in zip(keys, shares, strict=True):
            shipment = Shipment.objects.create(
                order_id=order.order_id,
                order_number=order.number,
                warehouse_id=warehouse_id,
                currency=order.currency,
                amount=share,
                service=order.shipping_method,
                ship_to=order.shipping_address,
            )
            ShipmentLine.objects.bulk_create(
                ShipmentLine(
                    shipment=shipment,
                    line_id=line.line_id,
                    sku_id=line.sku_id,
                    sku_code=line.sku_code,
                    product_name=line.product_name,
                    quantity=line.quantity,
                )
                for line in groups[warehouse_id]
            )
            created.append(shipment.id)
        transaction.on_commit(lambda: _dispatch_later(created))
    return created


def _dispatch_later(shipment_ids: list[int]) -> None:
    from shop.fulfillment.tasks import dispatch_shipment

    for shipment_id in shipment_ids:
        dispatch_shipment.delay(shipment_id)


def dispatch(shipment_id: int) -> bool:
    """Send the pick-and-pack instructions to the shipment's warehouse (once; True if now)."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().prefetch_related("lines").get(id=shipment_id)
        if shipment.status != S.PENDING:
            return False
        shipment.status = S.PICKING
        shipment.save(update_fields=["status", "updated_at"])
        warehouses.adapter_for(shipment.warehouse_id).send_pick_instructions(
            PickInstruction(
                reference=shipment.reference,
                warehouse_id=shipment.warehouse_id,
                order_number=shipment.order_number,
                service=shipment.service,
                ship_to=shipment.ship_to,
                lines=tuple(PickLine(x.sku_id, x.sku_code, x.product_name, x.quantity) for x in shipment.lines.all()),
            )
        )
    return True


# --- Replacement parcels (reship) ----------------------------------------------------------------

RESHIPPABLE = (orders.OrderStatus.SHIPPED, orders.OrderStatus.DELIVERED)
MAX_RESHIP_REFERENCE = 90
RESHIP_HOLD_TTL = timedelta(minutes=5)


def reship(order_id: int, lines: Sequence[tuple[int, int]], *, reference: str, reason: str) -> list[ShipmentInfo]:
    """Send ``lines`` ((order line id, quantity)) of a shipped or delivered order again, free of
    charge: a lost parcel, a damaged item. The units are taken from stock (a hold under
    ``reship-<reference>``, reserved and committed at once, so inventory allocates them by its
    usual policy) and leave as one new shipment per warehouse; the payment is not touched and
    the order does not move. Idempotent on ``reference`` (the caller's key, e.g. a support
    ticket's action): a repeat, even after a crash halfway, returns the same parcels and takes
    no more stock. Raises :class:`ReshipRefused` when the order or the lines do not allow it.
    """
    if not reference or len(reference) > MAX_RESHIP_REFERENCE:
        raise ValueError(f"a reship reference has 1 to {MAX_RESHIP_REFERENCE} characters")
    done = _reship_shipments(reference)
    if done:
        if done[0].order_id != order_id:
            raise ReshipRefused(f"Reference {reference!r} was used for another order.", "reference_conflict")
        return done
    order = orders.get_order(order_id)
    if order is None:
        raise ReshipRefused(f"No order with id {order_id}.", "order_not_found")
    if order.status not in RESHIPPABLE:
        raise ReshipRefused(
            f"Only a shipped or delivered order can be reshipped; "
            f"order {order.number} is {order.status_label.lower()}.",
            "not_shipped",
        )
    wanted = _reship_lines(order, lines)
    taken = _take_stock(f"reship-{reference}", order, wanted)
    try:
        with transaction.atomic():
            created = _create_reship_shipments(order, wanted, taken, reference, reason)
            transaction.on_commit(lambda: _dispatch_later(created))
    except IntegrityError:
        pass  # a concurrent repeat of this reference created them first
    return _reship_shipments(reference)


def _reship_shipments(reference: str) -> list[ShipmentInfo]:
    rows = _shipments().filter(kind=ShipmentKind.RESHIP, reship_reference=reference).order_by("id")
    return [_info(s) for s in rows]


def _reship_lines(order: orders.OrderInfo, lines: Sequence[tuple[int, int]]) -> dict[int, int]:
    """order line id → units, checked against the order (at most what was bought per line)."""
    bought = {line.line_id: line.quantity for line in order.lines}
    wanted: dict[int, int] = defaultdict(int)
    for line_id, quantity in lines:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ReshipRefused(
                "Quantities must be whole numbers above zero.", "invalid", {f"lines.{line_id}": ["Must be at least 1."]}
            )
        wanted[line_id] += quantity
    if not wanted:
        raise ReshipRefused("Choose at least one item to reship.", "invalid", {"lines": ["Choose at least one item."]})
    errors = {}
    for line_id, quantity in wanted.items():
        if line_id not in bought:
            errors[f"lines.{line_id}"] = ["This line is not part of the order."]
        elif quantity > bought[line_id]:
            errors[f"lines.{line_id}"] = [f"Only {bought[line_id]} unit(s) of this line were bought."]
    if errors:
        raise ReshipRefused(next(iter(errors.values()))[0], "invalid_lines", errors)
    return dict(wanted)


def _take_stock(hold_reference: str, order: orders.OrderInfo, wanted: dict[int, int]) -> tuple[inventory.HeldLine, ...]:
    """Reserve and commit the units at once (both idempotent on the reference); the lines say
    which warehouse each unit comes from."""
    skus: dict[int, int] = defaultdict(int)
    for line in order.lines:
        if line.line_id in wanted:
            skus[line.sku_id] += wanted[line.line_id]
    held = inventory.reserve(
        hold_reference, [inventory.Line(sku, units) for sku, units in skus.items()], RESHIP_HOLD_TTL
    )
    if not held.ok and held.status != inventory.COMMITTED:
        raise ReshipRefused(f"Not enough stock to reship: {held.message}", "out_of_stock")
    sold = inventory.commit(hold_reference)
    if not sold.ok:
        raise ReshipRefused(f"The stock could not be taken: {sold.message}", sold.error or "stock_error")
    return sold.lines


def _create_reship_shipments(
    order: orders.OrderInfo,
    wanted: dict[int, int],
    taken: tuple[inventory.HeldLine, ...],
    reference: str,
    reason: str,
) -> list[int]:
    """One zero-amount shipment per warehouse the units were taken from; each order line's units
    are matched to the warehouses its SKU was taken from."""
    left = {line.line_id: wanted[line.line_id] for line in order.lines if line.line_id in wanted}
    by_id = {line.line_id: line for line in order.lines}
    groups: dict[int, list[tuple[orders.OrderLineInfo, int]]] = defaultdict(list)
    for held in sorted(taken, key=lambda x: (x.warehouse_id, x.sku_id)):
        units = held.quantity
        for line_id in left:
            line = by_id[line_id]
            if units and line.sku_id == held.sku_id and left[line_id]:
                share = min(units, left[line_id])
                groups[held.warehouse_id].append((line, share))
                left[line_id] -= share
                units -= share
    created = []
    for warehouse_id, parcel_lines in sorted(groups.items()):
        shipment = Shipment.objects.create(
            order_id=order.order_id,
            order_number=order.number,
            warehouse_id=warehouse_id,
            currency=order.currency,
            amount=Decimal(0),
            service=order.shipping_method,
            ship_to=order.shipping_address,
            kind=ShipmentKind.RESHIP,
            reship_reference=reference,
            reship_reason=reason[:500],
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment,
                line_id=line.line_id,
                sku_id=line.sku_id,
                sku_code=line.sku_code,
                product_name=line.product_name,
                quantity=units,
            )
            for line, units in parcel_lines
        )
        created.append(shipment.id)
    return created


def cancel_shipments(order_id: int) -> int:
    """The order was cancelled: shipments not yet picked stop (the warehouse is told)."""
    with transaction.atomic():
        stopped = list(
            Shipment.objects.select_for_update()
            .filter(order_id=order_id, status__in=[S.PENDING, S.PICKING])
            .order_by("id")
        )
        for shipment in stopped:
            shipment.status = S.CANCELLED
            shipment.save(update_fields=["status", "updated_at"])
        for shipment in stopped:
            warehouses.adapter_for(shipment.warehouse_id).cancel_pick(shipment.reference)
    return len(stopped)


# --- Reports from the warehouse -----------------------------------------------------------------


def _id(reference: str, prefix: str) -> int:
    if not reference.startswith(prefix) or not reference[len(prefix) :].isdigit():
        raise ShipmentNotFound(f"No parcel {reference!r}.")
    return int(reference[len(prefix) :])


def _lock_order_shipments(shipment_id: int) -> tuple[Shipment, list[Shipment]]:
    """Lock every shipment of the order (ascending id: the one lock order) and return the one asked for."""
    order_id = Shipment.objects.filter(id=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ShipmentNotFound(f"No shipment {shipment_id}.")
    siblings = list(Shipment.objects.select_for_update().filter(order_id=order_id).order_by("id"))
    return next(s for s in siblings if s.id == shipment_id), siblings


def _report_to_order(shipment: Shipment, siblings: list[Shipment], reason: str) -> None:
    """The order follows its own parcels; a replacement parcel (reship) never moves it."""
    if shipment.kind == ShipmentKind.RESHIP:
        return
    stages = [ORDER_STAGE[s.status] for s in siblings if s.status != S.CANCELLED and s.kind != ShipmentKind.RESHIP]
    try:
        orders.shipments_progressed(shipment.order_id, stages, reason=reason)
    except orders.InvalidTransition as refused:
        raise WarehouseReportRefused(refused.message, refused.code) from refused


def warehouse_picked(reference: str) -> None:
    """The warehouse picked the parcel's units. Refused if the order was cancelled first."""
    with transaction.atomic():
        shipment, siblings = _lock_order_shipments(_id(reference, "SHP-"))
        if shipment.status in (S.PICKED, S.PACKED, S.CAPTURING, S.SHIPPED, S.DELIVERED, S.ON_HOLD):
            return
        if shipment.status != S.PICKING:
            raise WarehouseReportRefused(
                f"{reference} is {shipment.get_status_display().lower()}; do not pick it.", "not_picking"
            )
        shipment.status = S.PICKED
        shipment.picked_at = timezone.now()
        _report_to_order(shipment, siblings, f"{reference} picked")
        shipment.save(update_fields=["status", "picked_at", "updated_at"])


def warehouse_packed(reference: str, *, weight_grams: int) -> None:
    """The parcel is packed: we buy its label from the carrier (the warehouse prints it)."""
    with transaction.atomic():
        shipment, _siblings = _lock_order_shipments(_id(reference, "SHP-"))
        if shipment.status in (S.PACKED, S.CAPTURING, S.SHIPPED, S.DELIVERED, S.ON_HOLD):
            return
        if shipment.status != S.PICKED:
            raise WarehouseReportRefused(f"{reference} is not picked.", "not_picked")
        ship_from = Address.from_dict(warehouses.ship_from(shipment.warehouse_id))
        ship_to = Address.from_dict(shipment.ship_to)
        parcel = Parcel(weight_grams=weight_grams)
        quote = choose_rate(shipment.service, ship_from, ship_to, parcel)
        label = carrier(quote.carrier).create_label(quote, ship_from, ship_to, parcel, shipment.reference)
        shipment.status = S.PACKED
        shipment.packed_at = timezone.now()
        shipment.weight_grams = weight_grams
        shipment.carrier, shipment.carrier_service = label.carrier, label.service
        shipment.tracking_number, shipment.label_pdf = label.tracking_number, label.pdf
        shipment.tracking_status = "label_created"
        shipment.postage = label.postage.amount
        shipment.save()


def choose_rate(shipping_method: str, ship_from: Address, ship_to: Address, parcel: Parcel) -> RateQuote:
    """The staff's choice for the shipping method, else the default carrier's cheapest quote
    at the method's service level (standard, express)."""
    choice = CarrierChoice.objects.filter(shipping_method=shipping_method).first()
    code = choice.carrier if choice else settings.FULFILLMENT_DEFAULT_CARRIER
    quotes = carrier(code).quote(ship_from, ship_to, parcel)
    if choice and choice.service:
        matching = [q for q in quotes if q.service == choice.service]
    else:
        matching = [q for q in quotes if q.level == shipping_method] or quotes
    if not matching:
        raise LookupError(f"{code} offers no service for {shipping_method!r}.")
    return min(matching, key=lambda q: q.amount.amount)


def warehouse_handed_over(reference: str) -> None:
    """The carrier collected the parcel: capture its share of the payment (a task, with retries)."""
    from shop.fulfillment.tasks import ship_shipment

    shipment_id = _id(reference, "SHP-")
    with transaction.atomic():
        shipment, _siblings = _lock_order_shipments(shipment_id)
        if shipment.status in (S.CAPTURING, S.SHIPPED, S.DELIVERED, S.ON_HOLD):
            return
        if shipment.status != S.PACKED:
            raise WarehouseReportRefused(f"{reference} is not packed.", "not_packed")
        transaction.on_commit(lambda: ship_shipment.delay(shipment_id))


# --- Capture at shipment ------------------------------------------------------------------------


def capture_key(shipment: Shipment) -> str:
    """``shipment-<id>``; a new generation only after a capture the processor refused for good."""
    generation = shipment.capture_generation
    return f"shipment-{shipment.id}" + (f"-r{generation}" if generation else "")


def ship(shipment_id: int) -> str:
    """Capture the parcel's share, then mark it shipped and tell the order; a refused capture
    holds the parcel and alerts staff. ``ProcessorUnavailable`` propagates (the task retries
    with the same key). Returns the shipment's status."""
    with transaction.atomic():
        shipment, siblings = _lock_order_shipments(shipment_id)
        if shipment.status in (S.SHIPPED, S.DELIVERED, S.ON_HOLD):
            return shipment.status
        if shipment.status not in (S.PACKED, S.CAPTURING):
            raise WarehouseReportRefused(f"{shipment.reference} is not packed.", "not_packed")
        order = orders.get_order(shipment.order_id)
        if shipment.status == S.PACKED:
            _plan_capture(shipment, siblings, order.payment_reference)
    amount = shipment.captured_amount
    if amount > 0:
        try:
            payments.capture(
                order.payment_reference,
                Money.of(amount, shipment.currency),
                capture_key(shipment),
                final=shipment.capture_final,
            )
        except payments.ProcessorUnavailable:
            raise
        except payments.PaymentError as error:
            hold(shipment_id, f"{error.code}: {error.message}", new_key_on_retry=True)
            return S.ON_HOLD
    with transaction.atomic():
        shipment, siblings = _lock_order_shipments(shipment_id)
        if shipment.status != S.CAPTURING:
            return shipment.status
        shipment.status = S.SHIPPED
        shipment.shipped_at = timezone.now()
        shipment.tracking_status = "handed_over"
        _report_to_order(
            shipment, siblings, f"{shipment.reference} shipped: {shipment.carrier} {shipment.tracking_number}"
        )
        shipment.save(update_fields=["status", "shipped_at", "tracking_status", "updated_at"])
        publish(
            ShipmentShipped(
                shipment_id=shipment.id,
                order_id=shipment.order_id,
                order_number=shipment.order_number,
                carrier=shipment.carrier,
                carrier_service=shipment.carrier_service,
                tracking_number=shipment.tracking_number or "",
                tracking_url=_tracking_url(shipment),
                captured=shipment.captured_amount,
                currency=shipment.currency,
                lines=[{"product_name": x.product_name, "quantity": x.quantity} for x in shipment.lines.all()],
            )
        )
        number, code = shipment.tracking_number or "", shipment.carrier
        transaction.on_commit(lambda: carrier(code).start_tracking(number))
        # The carrier's scans can come in while the capture is still running (a slow or retried
        # capture); they were recorded but could not move the parcel, so a delivery must not be lost.
        delivered = shipment.tracking_events.filter(code="delivered").order_by("occurred_at").first()
        if delivered is not None:
            _mark_delivered(shipment, siblings, delivered.occurred_at)
            shipment.tracking_status = "delivered"
            shipment.save(update_fields=["status", "delivered_at", "tracking_status", "updated_at"])
            return S.DELIVERED
    return S.SHIPPED


def _plan_capture(shipment: Shipment, siblings: list[Shipment], reference: str) -> None:
    """Decide, under the order's shipment locks, what this parcel captures and whether it is the last.

    With multicapture each parcel captures its share and the last one is ``final`` (releasing
    any rest). Without it (one capture per authorization), the first parcel to ship captures
    everything still authorized and the others capture nothing. A replacement parcel captures nothing."""
    others = [s for s in siblings if s.id != shipment.id and s.status != S.CANCELLED and s.kind != ShipmentKind.RESHIP]
    if shipment.kind == ShipmentKind.RESHIP:
        amount, final = Decimal(0), False  # a replacement is never charged
    elif (payment := payments.get_payment(reference)).multicapture:
        amount = shipment.amount
        final = all(s.status in (S.CAPTURING, S.SHIPPED, S.DELIVERED) for s in others)
    elif any(s.status in (S.CAPTURING, S.SHIPPED, S.DELIVERED) for s in others):
        amount, final = Decimal(0), False  # the first parcel captured the whole order
    else:
        amount, final = payment.capturable.amount, True
    shipment.status = S.CAPTURING
    shipment.captured_amount = amount
    shipment.capture_final = final
    shipment.save(update_fields=["status", "captured_amount", "capture_final", "updated_at"])


def hold(shipment_id: int, reason: str, *, new_key_on_retry: bool) -> None:
    """Stop the parcel before it leaves and alert staff (admin alert, log, email)."""
    with transaction.atomic():
        shipment, _siblings = _lock_order_shipments(shipment_id)
        if shipment.status != S.CAPTURING:
            return
        shipment.status = S.ON_HOLD
        shipment.hold_reason = reason[:500]
        shipment.captured_amount = Decimal(0)
        if new_key_on_retry:
            shipment.capture_generation += 1  # the processor refused this key for good
        shipment.save(update_fields=["status", "hold_reason", "captured_amount", "capture_generation", "updated_at"])
        publish(
            ShipmentHeld(
                shipment_id=shipment.id, order_id=shipment.order_id, order_number=shipment.order_number, reason=reason
            )
        )
        log.error("shipment %s of order %s held: capture failed: %s", shipment.reference, shipment.order_number, reason)
        notifications.alert_staff(
            "capture_failed",
            f"Shipment {shipment.reference} of order {shipment.order_number} stopped: payment capture failed",
            f"Capturing {Money.of(shipment.amount, shipment.currency)} failed ({reason}). The parcel is on hold "
            "and has not left the warehouse. Fix the payment, then use “Retry capture” on the shipment.",
            reference=shipment.reference,
        )


def retry_capture(shipment_id: int) -> bool:
    """Staff release a held parcel: it is captured again (a fresh key if the last was refused)."""
    from shop.fulfillment.tasks import ship_shipment

    with transaction.atomic():
        shipment, _siblings = _lock_order_shipments(shipment_id)
        if shipment.status != S.ON_HOLD:
            return False
        shipment.status = S.PACKED
        shipment.hold_reason = ""
        shipment.save(update_fields=["status", "hold_reason", "updated_at"])
        transaction.on_commit(lambda: ship_shipment.delay(shipment_id))
    return True


# --- Tracking -------------------------------------------------------------------------------------


def apply_tracking(carrier_code: str, update: TrackingUpdate) -> str:
    """Record one verified carrier scan: ``applied``, ``duplicate`` (this event id was seen)
    or ``unknown`` (not our parcel). ``delivered`` moves the shipment, and the order once
    every parcel has arrived."""
    with transaction.atomic():
        shipment_id = (
            Shipment.objects.filter(tracking_number=update.tracking_number).values_list("id", flat=True).first()
        )
        if shipment_id is None:
            return "unknown"
        shipment, siblings = _lock_order_shipments(shipment_id)
        try:
            with transaction.atomic():
                TrackingEvent.objects.create(
                    shipment=shipment,
                    carrier=carrier_code,
                    event_id=update.event_id,
                    code=update.code,
                    description=update.description,
                    location=update.location,
                    occurred_at=update.occurred_at,
                )
        except IntegrityError:
            return "duplicate"
        if shipment.status not in (S.SHIPPED, S.DELIVERED):
            log.warning("tracking %s for %s, which is %s", update.code, shipment.reference, shipment.status)
            return "applied"
        latest = shipment.tracking_events.order_by("-occurred_at", "-id").values_list("code", flat=True).first()
        shipment.tracking_status = latest or update.code
        if update.code == "delivered" and shipment.status == S.SHIPPED:
            _mark_delivered(shipment, siblings, update.occurred_at)
        shipment.save(update_fields=["status", "delivered_at", "tracking_status", "updated_at"])
    return "applied"


def _mark_delivered(shipment: Shipment, siblings: list[Shipment], delivered_at: datetime) -> None:
    """A shipped parcel arrived: tell the order (delivered once every parcel is) and publish it.
    The caller holds the order's shipment locks and saves the shipment."""
    shipment.status = S.DELIVERED
    shipment.delivered_at = delivered_at
    _report_to_order(shipment, siblings, f"{shipment.reference} delivered")
    publish(
        ShipmentDelivered(
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            order_number=shipment.order_number,
            tracking_number=shipment.tracking_number or "",
        )
    )


# --- Return parcels ---------------------------------------------------------------------------------


def create_return_parcel(return_id: int, order_id: int, order_number: str, lines: list[dict]) -> bool:
    """A prepaid return label to the warehouse the units came from (the first line's); the
    warehouse is told to expect the parcel. Idempotent per return."""
    if ReturnParcel.objects.filter(return_id=return_id).exists():
        return False
    order = orders.get_order(order_id)
    warehouse_id = next((line["warehouse_id"] for line in lines if line.get("warehouse_id") is not None), None)
    customer = Address.from_dict(order.shipping_address)
    warehouse = Address.from_dict(warehouses.ship_from(warehouse_id))
    parcel = Parcel(weight_grams=max(1, sum(line["quantity"] for line in lines)) * 450)
    quote = choose_rate("standard", customer, warehouse, parcel)
    reference = f"RET-{return_id}"
    label = carrier(quote.carrier).create_label(quote, customer, warehouse, parcel, reference)
    with transaction.atomic():
        ReturnParcel.objects.create(
            return_id=return_id,
            order_id=order_id,
            order_number=order_number,
            warehouse_id=warehouse_id,
            lines=lines,
            carrier=label.carrier,
            carrier_service=label.service,
            tracking_number=label.tracking_number,
            label_pdf=label.pdf,
        )
        publish(
            ReturnLabelCreated(
                return_id=return_id,
                order_id=order_id,
                order_number=order_number,
                carrier=label.carrier,
                tracking_number=label.tracking_number,
            )
        )
        instruction = ReturnInstruction(
            reference=reference,
            warehouse_id=warehouse_id,
            order_number=order_number,
            tracking_number=label.tracking_number,
            lines=tuple(PickLine(x["sku_id"], "", x.get("product_name", ""), x["quantity"]) for x in lines),
        )
        transaction.on_commit(lambda: warehouses.adapter_for(warehouse_id).expect_return(instruction))
    return True


def cancel_return_parcel(return_id: int) -> None:
    ReturnParcel.objects.filter(return_id=return_id, status=ReturnParcelStatus.LABEL_CREATED).update(
        status=ReturnParcelStatus.CANCELLED
    )


def warehouse_received_return(reference: str) -> None:
    """The warehouse has the returned parcel; the refund follows (``ReturnReceived``)."""
    with transaction.atomic():
        parcel = ReturnParcel.objects.select_for_update().filter(return_id=_id(reference, "RET-")).first()
        if parcel is None:
            raise ShipmentNotFound(f"No return parcel {reference!r}.")
        if parcel.status == ReturnParcelStatus.RECEIVED:
            return
        if parcel.status == ReturnParcelStatus.CANCELLED:
            raise WarehouseReportRefused(f"Return {reference} was cancelled.", "return_cancelled")
        parcel.status = ReturnParcelStatus.RECEIVED
        parcel.received_at = timezone.now()
        parcel.save(update_fields=["status", "received_at"])
        publish(ReturnReceived(return_id=parcel.return_id, order_id=parcel.order_id, order_number=parcel.order_number))
