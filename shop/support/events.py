"""Events the support domain publishes. Consumers re-read the ticket through
``shop.support.services`` (``get_ticket``, ``get_message``) rather than trusting payloads.
``user_id`` is always the ticket's customer. Internal staff notes publish nothing."""

from dataclasses import dataclass

from shop.core.events import Event


@dataclass(frozen=True)
class TicketOpened(Event):
    event_type = "support.TicketOpened"
    ticket_id: int
    user_id: int
    order_id: int | None
    category: str


@dataclass(frozen=True)
class TicketReplied(Event):
    """A message the customer sees: ``author`` is ``customer`` or ``staff``; ``reopened`` when a
    customer's message reopened a resolved ticket."""

    event_type = "support.TicketReplied"
    ticket_id: int
    message_id: int
    user_id: int
    author: str
    reopened: bool = False


@dataclass(frozen=True)
class TicketResolved(Event):
    """``by`` is ``customer`` or ``staff``."""

    event_type = "support.TicketResolved"
    ticket_id: int
    user_id: int
    by: str
