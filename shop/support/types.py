"""The plain values and errors support's services take and return (re-exported by ``services``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from shop.core.errors import DomainError


class SupportError(DomainError):
    """A request support refuses; ``code`` is stable for API bodies, ``message`` is for people,
    ``fields`` name the bad input. Nothing was stored."""

    code = "invalid"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None, code: str | None = None) -> None:
        super().__init__(message, code, fields)


class InvalidInput(SupportError):
    code = "invalid"


class TicketNotFound(SupportError):
    """No such ticket, or not the customer's: ids are not secrets to confirm."""

    code = "not_found"
    status = 404


class OrderNotFound(SupportError):
    """No such order, or not the customer's."""

    code = "order_not_found"
    status = 404


class TicketFull(SupportError):
    code = "ticket_full"
    status = 409


class ActionConflict(SupportError):
    """The action's key was used for a different action."""

    code = "idempotency_conflict"


class ActionPending(SupportError):
    """The other domain could not be reached; the action is recorded as pending and may be retried."""

    code = "pending"


@dataclass(frozen=True)
class MessageInfo:
    message_id: int
    ticket_id: int
    author: str  # "customer" or "staff"
    author_name: str
    body: str
    internal: bool
    created_at: datetime


@dataclass(frozen=True)
class TicketInfo:
    ticket_id: int
    user_id: int
    email: str
    order_id: int | None
    order_number: str
    category: str
    category_label: str
    subject: str
    status: str
    status_label: str
    message_count: int
    created_at: datetime
    last_activity_at: datetime
    waiting_since: datetime | None
    first_response_at: datetime | None
    first_response_time: timedelta | None
    resolved_at: datetime | None
    resolution_time: timedelta | None
    messages: tuple[MessageInfo, ...] = ()
    replayed: bool = False  # a double submit: this is the ticket the first one opened

    @property
    def is_resolved(self) -> bool:
        return self.status == "resolved"


@dataclass(frozen=True)
class ActionInfo:
    action_id: int
    ticket_id: int
    kind: str
    kind_label: str
    staff_id: int
    staff_name: str
    reason: str
    order_id: int
    status: str
    status_label: str
    reference: str
    result: str
    error_code: str
    amount: Decimal | None
    currency: str
    created_at: datetime
    completed_at: datetime | None
    replayed: bool = False  # a double submit: this is the first submit's action
