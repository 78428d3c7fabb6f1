"""The order state machine, declared once as data.

Every allowed move is one row of :data:`TRANSITIONS`: from, to, and which kinds of
actor may make it. Nothing else in the code decides whether an order may move;
services call :func:`check` under the order's row lock and get
:class:`InvalidTransition` (with a message for people) for anything not in the table.

Actors are written ``system``, ``customer:<user id>`` or ``staff:<user id>``; the
part before the colon is the role the table names. Fulfillment, the carrier's
webhooks and payment consumers act as ``system``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shop.core.errors import DomainError
from shop.orders.models import OrderStatus as S

CUSTOMER, STAFF, SYSTEM = "customer", "staff", "system"
ROLES = (CUSTOMER, STAFF, SYSTEM)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    by: frozenset[str]
    label: str  # what the move is called on buttons and in the admin


def _t(source: str, target: str, by: set[str], label: str) -> Transition:
    return Transition(source, target, frozenset(by), label)


TRANSITIONS: tuple[Transition, ...] = (
    _t(S.PLACED, S.PAYMENT_CONFIRMED, {SYSTEM, STAFF}, "Confirm payment"),
    _t(S.PLACED, S.CANCELLED, {CUSTOMER, STAFF, SYSTEM}, "Cancel"),
    _t(S.PAYMENT_CONFIRMED, S.PICKED, {SYSTEM}, "Picked"),
    _t(S.PAYMENT_CONFIRMED, S.CANCELLED, {CUSTOMER, STAFF}, "Cancel"),
    _t(S.PICKED, S.SHIPPED, {SYSTEM}, "Shipped"),
    _t(S.SHIPPED, S.DELIVERED, {SYSTEM}, "Delivered"),
    _t(S.DELIVERED, S.RETURN_REQUESTED, {CUSTOMER, STAFF}, "Request a return"),
    _t(S.RETURN_REQUESTED, S.RETURNED, {SYSTEM, STAFF}, "Mark returned"),
    _t(S.RETURN_REQUESTED, S.DELIVERED, {STAFF}, "Reject the return"),
    _t(S.RETURNED, S.REFUNDED, {SYSTEM}, "Refunded"),
    # Another return of other lines, still within the return window.
    _t(S.REFUNDED, S.RETURN_REQUESTED, {CUSTOMER, STAFF}, "Request a return"),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

# The forward path of fulfillment, for ordering the stages a shipment reaches.
FULFILLMENT_PATH = (S.PAYMENT_CONFIRMED, S.PICKED, S.SHIPPED, S.DELIVERED)
TERMINAL = frozenset({S.CANCELLED})


class InvalidTransition(DomainError):
    """The move is not in the table (or not for this actor); nothing was changed."""

    code = "invalid_transition"
    status = 409


def role_of(actor: str) -> str:
    role = actor.split(":", 1)[0]
    if role not in ROLES:
        raise ValueError(f"unknown actor {actor!r}: system, customer:<id> or staff:<id>")
    return role


def label(status: str) -> str:
    return S(status).label if status in S.values else status


def check(source: str, target: str, actor: str) -> Transition:
    """The table's row for this move by this actor, or :class:`InvalidTransition`."""
    transition = _BY_PAIR.get((source, target))
    if transition is None:
        raise InvalidTransition(f"An order that is {label(source).lower()} cannot become {label(target).lower()}.")
    if role_of(actor) not in transition.by:
        raise InvalidTransition(
            f"{label(source)} → {label(target)} is not something a {role_of(actor)} can do.", "not_allowed"
        )
    return transition


def allowed_targets(source: str, actor: str) -> list[Transition]:
    """The moves this actor may make from ``source`` (buttons, admin actions)."""
    role = role_of(actor)
    return [t for t in TRANSITIONS if t.source == source and role in t.by]


def stage_of_shipments(stages: list[str]) -> str:
    """Where an order stands given its shipments' stages.

    Picked as soon as any parcel is picked (the warehouse has started, so the order
    can no longer be cancelled); shipped once every parcel has shipped; delivered once
    every parcel has been delivered.
    """
    if not stages:
        return S.PAYMENT_CONFIRMED
    rank = [FULFILLMENT_PATH.index(stage) for stage in stages]
    if min(rank) >= FULFILLMENT_PATH.index(S.SHIPPED):
        return FULFILLMENT_PATH[min(rank)]
    if max(rank) >= FULFILLMENT_PATH.index(S.PICKED):
        return S.PICKED
    return S.PAYMENT_CONFIRMED
