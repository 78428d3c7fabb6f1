"""Tickets and staff for the support tests, made through the support services."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from shop.core.models import OutboxEvent
from shop.support import services
from tests.factories_lifecycle import make_customer


def open_ticket(customer, *, order_id: int | None = None, category: str = "other", body: str = "Help me, please."):
    return services.open_ticket(user_id=customer.id, category=category, body=body, order_id=order_id)


def staff_member(*perms: str, name: str | None = None):
    """A staff user (not a superuser) with the given ``app_label.codename`` permissions."""
    user = make_customer(name or f"staff-{uuid.uuid4().hex[:6]}")
    user.is_staff = True
    user.first_name = "Priya"
    user.save(update_fields=["is_staff", "first_name"])
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(id=user.id)  # fresh: no cached permissions


def support_events(ticket_id: int) -> list[tuple[str, dict]]:
    rows = OutboxEvent.objects.filter(event_type__startswith="support.", payload__ticket_id=ticket_id).order_by("id")
    return [(row.event_type, row.payload) for row in rows]
