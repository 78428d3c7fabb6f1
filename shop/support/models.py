"""Support tickets: a customer's conversation with staff, its response-time stamps, and the
audit of what staff did to the customer's order from the ticket.

Orders, users and staff are referenced by id only (other domains own them); the customer's
email and the order number are copied in when the ticket opens, for staff search.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Category(models.TextChoices):
    WHERE_IS_MY_ORDER = "where_is_my_order", "Where is my order?"
    DAMAGED_ITEM = "damaged_item", "Damaged item"
    RETURN = "return", "Return"
    PAYMENT = "payment", "Payment"
    OTHER = "other", "Other"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"


class Ticket(models.Model):
    """One conversation. ``waiting_since`` is when the customer started waiting for staff (the
    queue's order); ``first_response_time`` and ``resolution_time`` are stored durations so the
    admin sorts and filters on them and the report averages them in SQL."""

    user_id = models.BigIntegerField()
    email = models.EmailField(max_length=254, help_text="The customer's email when the ticket opened.")
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_number = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=30, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    client_key = models.CharField(
        max_length=100, blank=True, default="", help_text="The customer's idempotency key (a double submit)."
    )
    message_count = models.PositiveIntegerField(default=0)
    reopened_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Since when the customer waits for an answer (empty: not waiting)."
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_time = models.DurationField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_time = models.DurationField(null=True, blank=True)

    class Meta:
        permissions = [("act_on_orders", "Can cancel, refund, reship and start returns from a ticket")]
        indexes = [
            models.Index(fields=["user_id", "-last_activity_at", "-id"], name="ticket_customer_idx"),
            models.Index(fields=["status", "waiting_since"], name="ticket_queue_idx"),
            models.Index(fields=["-last_activity_at"], name="ticket_activity_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "client_key"], condition=~models.Q(client_key=""), name="ticket_once_per_client_key"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.subject}"


class Author(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"


class Message(models.Model):
    """A message of the conversation; ``internal`` notes are for staff only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=Author.choices)
    author_id = models.BigIntegerField()
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="A note for staff; the customer never sees it.")
    client_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "client_key"], condition=~models.Q(client_key=""), name="message_once_per_client_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_display()} on #{self.ticket_id}"


class ActionKind(models.TextChoices):
    CANCEL_ORDER = "cancel_order", "Cancel the order"
    REFUND = "refund", "Refund"
    RESHIP = "reship", "Reship items"
    START_RETURN = "start_return", "Start a return"


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Pending (retry it)"
    SUCCEEDED = "succeeded", "Done"
    REFUSED = "refused", "Refused (nothing changed)"


class TicketAction(models.Model):
    """The audit of one staff action on the ticket's order: who, what, why, which reference the
    owning domain answered with, and the result. ``key`` is the staff form's idempotency key: a
    double submit finds this row instead of acting twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    key = models.CharField(max_length=100)
    staff_id = models.BigIntegerField()
    staff_name = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    order_id = models.BigIntegerField()
    request = models.JSONField(help_text="What was asked: amount, lines.")
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING)
    reference = models.CharField(max_length=300, blank=True, help_text="The refund, return or parcels it made.")
    result = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "key"], name="ticket_action_once_per_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    @property
    def idempotency_key(self) -> str:
        """What the owning domain's call is idempotent on: derived from this action."""
        return f"ticket-{self.ticket_id}-action-{self.id}"
