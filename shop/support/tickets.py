"""The conversation: a customer opens a ticket and writes, staff answer (or leave internal
notes), either side resolves, and a customer's message reopens a resolved ticket.

Every write locks the ticket's row, checks everything before writing anything, and publishes
its event in the same transaction. The status follows the last message the customer can see:

| what happens | status becomes | stamps |
|---|---|---|
| the customer opens or writes | ``open`` (``reopened`` if it was resolved) | ``waiting_since`` (if not set) |
| staff reply | ``waiting_on_customer`` (resolved stays resolved) | ``first_response_at`` once; not waiting |
| staff note (internal) | unchanged | none: the customer never sees it |
| either side resolves | ``resolved`` | ``resolved_at``, ``resolution_time`` (cleared on reopen) |
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.accounts import services as accounts
from shop.core.events import publish
from shop.core.keyset import KeysetPage, paginate
from shop.orders import services as orders
from shop.support.events import TicketOpened, TicketReplied, TicketResolved
from shop.support.models import Author, Category, Message, Ticket, TicketStatus
from shop.support.types import (
    InvalidInput,
    MessageInfo,
    OrderNotFound,
    TicketFull,
    TicketInfo,
    TicketNotFound,
)

BODY_MAX_LENGTH = 5000
SUBJECT_MAX_LENGTH = 200
MAX_MESSAGES = 200  # per ticket: a longer conversation is a new ticket
KEY_MAX_LENGTH = 100
MAX_ORDER_ID = 10**18 - 1
STAFF_SIGNATURE = "Customer service"


# --- Input -------------------------------------------------------------------------------------


def _text(value: object, *, label: str, limit: int, required: bool) -> tuple[str, str]:
    """(clean text, error): surrounding whitespace and NUL characters (which PostgreSQL cannot
    store) removed, then bounded."""
    if not isinstance(value, str):
        return "", f"{label} must be text."
    text = value.replace("\x00", "").strip()
    if required and not text:
        return text, f"{label} cannot be empty."
    if len(text) > limit:
        return text, f"{label} can be at most {limit:,} characters (this one has {len(text):,})."
    return text, ""


def clean_body(value: object) -> str:
    body, error = _text(value, label="Your message", limit=BODY_MAX_LENGTH, required=True)
    if error:
        raise InvalidInput(error, {"body": [error]})
    return body


def _client_key(value: object) -> str:
    key = value.strip() if isinstance(value, str) else ""
    if len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"An idempotency key has at most {KEY_MAX_LENGTH} printable characters.", {"key": ["Invalid."]}
        )
    return key


def _check_new_ticket(category: object, subject: object, body: object) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    if category not in Category.values:
        choices = ", ".join(Category.values)
        errors["category"] = [f"Choose one of: {choices}."]
    subject, problem = _text(subject or "", label="The subject", limit=SUBJECT_MAX_LENGTH, required=False)
    if problem:
        errors["subject"] = [problem]
    body, problem = _text(body, label="Your message", limit=BODY_MAX_LENGTH, required=True)
    if problem:
        errors["body"] = [problem]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    return str(category), subject, body


def _own_order(order_id: object, user_id: int) -> orders.OrderInfo:
    if isinstance(order_id, bool) or not isinstance(order_id, int) or not 0 < order_id <= MAX_ORDER_ID:
        raise OrderNotFound("No such order.", {"order_id": ["No such order."]})
    order = orders.get_order(order_id)
    if order is None or order.user_id != user_id:
        raise OrderNotFound("No such order.", {"order_id": ["No such order."]})
    return order


# --- Customer ----------------------------------------------------------------------------------


def open_ticket(
    *,
    user_id: int,
    category: str,
    body: str,
    subject: str = "",
    order_id: int | None = None,
    client_key: str = "",
) -> TicketInfo:
    """Open a ticket with its first message, about one of the customer's orders or in general.
    A repeated ``client_key`` (a double submit) returns the first ticket, with ``replayed``."""
    category, subject, body = _check_new_ticket(category, subject, body)
    client_key = _client_key(client_key)
    if client_key and (existing := _ticket_by_key(user_id, client_key)) is not None:
        return existing
    order = _own_order(order_id, user_id) if order_id is not None else None
    customer = accounts.get_user(user_id)
    if customer is None:
        raise InvalidInput("No such customer.")
    if not subject:
        subject = Category(category).label + (f" (order {order.number})" if order else "")
    now = timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                user_id=user_id,
                email=customer.email,
                order_id=order.order_id if order else None,
                order_number=order.number if order else "",
                category=category,
                subject=subject,
                client_key=client_key,
                message_count=1,
                created_at=now,
                last_activity_at=now,
                waiting_since=now,
            )
            Message.objects.create(
                ticket=ticket,
                author=Author.CUSTOMER,
                author_id=user_id,
                author_name=customer.name[:150],
                body=body,
                client_key=client_key,
                created_at=now,
            )
            publish(TicketOpened(ticket_id=ticket.id, user_id=user_id, order_id=ticket.order_id, category=category))
    except IntegrityError:
        existing = _ticket_by_key(user_id, client_key) if client_key else None
        if existing is None:
            raise
        return existing  # a concurrent double submit won
    return _info(ticket, _messages(ticket.id, include_internal=False))


def _ticket_by_key(user_id: int, client_key: str) -> TicketInfo | None:
    ticket = Ticket.objects.filter(user_id=user_id, client_key=client_key).first()
    if ticket is None:
        return None
    return _info(ticket, _messages(ticket.id, include_internal=False), replayed=True)


def customer_reply(ticket_id: int, *, user_id: int, body: str, client_key: str = "") -> TicketInfo:
    """The customer writes: the ticket is open again (reopened if it was resolved)."""
    body = clean_body(body)
    client_key = _client_key(client_key)
    with transaction.atomic():
        ticket = _lock(ticket_id)
        if ticket.user_id != user_id:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        if client_key and ticket.messages.filter(client_key=client_key).exists():
            return _info(ticket, _messages(ticket.id, include_internal=False), replayed=True)
        if ticket.message_count >= MAX_MESSAGES:
            raise TicketFull("This conversation has reached its length limit; please open a new ticket.")
        now = timezone.now()
        reopened = ticket.status == TicketStatus.RESOLVED
        message = Message.objects.create(
            ticket=ticket,
            author=Author.CUSTOMER,
            author_id=user_id,
            author_name=_customer_name(ticket),
            body=body,
            client_key=client_key,
            created_at=now,
        )
        ticket.status = TicketStatus.OPEN
        ticket.message_count += 1
        ticket.last_activity_at = now
        ticket.waiting_since = ticket.waiting_since or now
        if reopened:
            ticket.reopened_count += 1
            ticket.resolved_at = ticket.resolution_time = None
        ticket.save()
        publish(
            TicketReplied(
                ticket_id=ticket.id, message_id=message.id, user_id=user_id, author=Author.CUSTOMER, reopened=reopened
            )
        )
    return _info(ticket, _messages(ticket.id, include_internal=False))


def _customer_name(ticket: Ticket) -> str:
    first = ticket.messages.filter(author=Author.CUSTOMER).values_list("author_name", flat=True).first()
    return first or ticket.email


def customer_resolve(ticket_id: int, *, user_id: int) -> TicketInfo:
    """The customer marks their ticket resolved (a no-op if it is)."""
    with transaction.atomic():
        ticket = _lock(ticket_id)
        if ticket.user_id != user_id:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        _resolve(ticket, Author.CUSTOMER)
    return _info(ticket, _messages(ticket.id, include_internal=False))


# --- Staff -------------------------------------------------------------------------------------


def staff_reply(
    ticket_id: int, *, staff_id: int, staff_name: str, body: str, internal: bool = False, resolve: bool = False
) -> MessageInfo:
    """Staff answer the customer (who gets an email), or leave an ``internal`` note; ``resolve``
    resolves the ticket with the same change."""
    body = clean_body(body)
    with transaction.atomic():
        ticket = _lock(ticket_id)
        now = timezone.now()
        message = Message.objects.create(
            ticket=ticket,
            author=Author.STAFF,
            author_id=staff_id,
            author_name=(staff_name or STAFF_SIGNATURE)[:150],
            body=body,
            internal=internal,
            created_at=now,
        )
        ticket.message_count += 1
        if not internal:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                ticket.first_response_time = now - ticket.created_at
            ticket.waiting_since = None
            ticket.last_activity_at = now
            if ticket.status != TicketStatus.RESOLVED:
                ticket.status = TicketStatus.WAITING_ON_CUSTOMER
        ticket.save()
        if not internal:
            publish(
                TicketReplied(ticket_id=ticket.id, message_id=message.id, user_id=ticket.user_id, author=Author.STAFF)
            )
        if resolve:
            _resolve(ticket, Author.STAFF)
    return _message_info(message)


def staff_resolve(ticket_id: int) -> bool:
    """Staff resolve the ticket; False if it already was."""
    with transaction.atomic():
        return _resolve(_lock(ticket_id), Author.STAFF)


def _resolve(ticket: Ticket, by: str) -> bool:
    if ticket.status == TicketStatus.RESOLVED:
        return False
    now = timezone.now()
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = now
    ticket.resolution_time = now - ticket.created_at
    ticket.waiting_since = None
    ticket.last_activity_at = now
    ticket.save()
    publish(TicketResolved(ticket_id=ticket.id, user_id=ticket.user_id, by=by))
    return True


def _lock(ticket_id: int) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(id=ticket_id).first()
    if ticket is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    return ticket


# --- Reads -------------------------------------------------------------------------------------


def get_ticket(ticket_id: int, *, user_id: int | None = None, include_internal: bool = False) -> TicketInfo | None:
    """The ticket with its conversation; None if it does not exist or (given ``user_id``) is
    not that customer's. Internal notes only with ``include_internal``."""
    ticket = Ticket.objects.filter(id=ticket_id).first()
    if ticket is None or (user_id is not None and ticket.user_id != user_id):
        return None
    return _info(ticket, _messages(ticket.id, include_internal=include_internal))


def get_message(message_id: int) -> MessageInfo | None:
    message = Message.objects.filter(id=message_id).first()
    return _message_info(message) if message else None


def tickets_for_user(user_id: int, *, cursor: str | None = None, size: int = 20) -> KeysetPage[TicketInfo]:
    """A customer's tickets, most recent activity first, in keyset pages (InvalidCursor on a bad cursor)."""
    page = paginate(Ticket.objects.filter(user_id=user_id), ["-last_activity_at", "-id"], cursor, size)
    return KeysetPage([_info(t) for t in page.items], page.next_cursor, page.previous_cursor)


def _messages(ticket_id: int, *, include_internal: bool) -> tuple[MessageInfo, ...]:
    rows = Message.objects.filter(ticket_id=ticket_id)
    if not include_internal:
        rows = rows.filter(internal=False)
    return tuple(_message_info(m) for m in rows.order_by("created_at", "id")[: MAX_MESSAGES * 2])


def _message_info(message: Message) -> MessageInfo:
    return MessageInfo(
        message_id=message.id,
        ticket_id=message.ticket_id,
        author=message.author,
        author_name=message.author_name,
        body=message.body,
        internal=message.internal,
        created_at=message.created_at,
    )


def _info(ticket: Ticket, messages: tuple[MessageInfo, ...] = (), *, replayed: bool = False) -> TicketInfo:
    return TicketInfo(
        ticket_id=ticket.id,
        user_id=ticket.user_id,
        email=ticket.email,
        order_id=ticket.order_id,
        order_number=ticket.order_number,
        category=ticket.category,
        category_label=Category(ticket.category).label,
        subject=ticket.subject,
        status=ticket.status,
        status_label=TicketStatus(ticket.status).label,
        message_count=ticket.message_count,
        created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at,
        waiting_since=ticket.waiting_since,
        first_response_at=ticket.first_response_at,
        first_response_time=ticket.first_response_time,
        resolved_at=ticket.resolved_at,
        resolution_time=ticket.resolution_time,
        messages=messages,
        replayed=replayed,
    )
