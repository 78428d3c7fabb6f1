"""The support domain's published interface: tickets, their conversation and staff actions.

- Customers: :func:`open_ticket` (about one of their orders, or in general),
  :func:`customer_reply` (reopens a resolved ticket), :func:`customer_resolve`, and the reads
  :func:`tickets_for_user` and :func:`get_ticket` (``user_id=``: someone else's ticket is None).
- Staff: :func:`staff_reply` (``internal=True`` for a note the customer never sees),
  :func:`staff_resolve`, :func:`take_action` and :func:`retry_action` (cancel, refund, reship,
  start a return, through the owning domains' services, audited on the ticket).
- Consumers: :func:`get_ticket` and :func:`get_message` re-read what an event is about.

Refusals raise :class:`SupportError` subclasses with a stable ``code``; nothing is stored.
Events: ``support.TicketOpened``, ``TicketReplied`` (by customer or staff), ``TicketResolved``.
"""

from shop.support.actions import actions_of, retry_action, take_action
from shop.support.metrics import duration_label, report
from shop.support.models import ActionKind, ActionStatus, Category, TicketStatus
from shop.support.tickets import (
    BODY_MAX_LENGTH,
    MAX_MESSAGES,
    MAX_ORDER_ID,
    STAFF_SIGNATURE,
    SUBJECT_MAX_LENGTH,
    customer_reply,
    customer_resolve,
    get_message,
    get_ticket,
    open_ticket,
    staff_reply,
    staff_resolve,
    tickets_for_user,
)
from shop.support.types import (
    ActionConflict,
    ActionInfo,
    ActionPending,
    InvalidInput,
    MessageInfo,
    OrderNotFound,
    SupportError,
    TicketFull,
    TicketInfo,
    TicketNotFound,
)

__all__ = [
    "BODY_MAX_LENGTH",
    "MAX_MESSAGES",
    "MAX_ORDER_ID",
    "STAFF_SIGNATURE",
    "SUBJECT_MAX_LENGTH",
    "ActionConflict",
    "ActionInfo",
    "ActionKind",
    "ActionPending",
    "ActionStatus",
    "Category",
    "InvalidInput",
    "MessageInfo",
    "OrderNotFound",
    "SupportError",
    "TicketFull",
    "TicketInfo",
    "TicketNotFound",
    "TicketStatus",
    "actions_of",
    "customer_reply",
    "customer_resolve",
    "duration_label",
    "get_message",
    "get_ticket",
    "open_ticket",
    "report",
    "retry_action",
    "staff_reply",
    "staff_resolve",
    "take_action",
    "tickets_for_user",
]
