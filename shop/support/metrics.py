"""Response times: how a duration reads to people, and the staff report of averages.

The report is one grouped query over the tickets opened in the window (indexed on
``created_at``); the averages come from the stored durations, so PostgreSQL does the sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from shop.support.models import Category, Ticket, TicketStatus

REPORT_WINDOWS = (7, 30, 90)
# The report's figures, once per category and once over all tickets (averages of the stored
# durations cannot be recombined from the per-category ones without their counts).
_FIGURES = {
    "opened": Count("id"),
    "resolved": Count("id", filter=Q(status=TicketStatus.RESOLVED)),
    "awaiting": Count("id", filter=Q(first_response_at__isnull=True) & ~Q(status=TicketStatus.RESOLVED)),
    "reopened": Count("id", filter=Q(reopened_count__gt=0)),
    "first_response": Avg("first_response_time"),
    "resolution": Avg("resolution_time"),
}


def duration_label(value: timedelta | None) -> str:
    """``3 d 4 h``, ``2 h 05 min``, ``7 min``, ``40 s``; an em dash for no value."""
    if value is None:
        return "—"
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


@dataclass(frozen=True)
class ReportRow:
    label: str
    opened: int
    resolved: int
    awaiting_first_response: int
    reopened: int
    average_first_response: timedelta | None
    average_resolution: timedelta | None

    @property
    def first_response_label(self) -> str:
        return duration_label(self.average_first_response)

    @property
    def resolution_label(self) -> str:
        return duration_label(self.average_resolution)


def report(days: int) -> list[ReportRow]:
    """Tickets opened in the last ``days`` days: all of them first, then one row per category."""
    since = timezone.now() - timedelta(days=days)
    rows = Ticket.objects.filter(created_at__gte=since).values("category").annotate(**_FIGURES).order_by("category")
    by_category = {row["category"]: row for row in rows}
    total = Ticket.objects.filter(created_at__gte=since).aggregate(**_FIGURES) if by_category else None

    def row(label: str, values: dict | None) -> ReportRow:
        values = values or {}
        return ReportRow(
            label=label,
            opened=values.get("opened", 0),
            resolved=values.get("resolved", 0),
            awaiting_first_response=values.get("awaiting", 0),
            reopened=values.get("reopened", 0),
            average_first_response=values.get("first_response"),
            average_resolution=values.get("resolution"),
        )

    return [row("All tickets", total)] + [row(c.label, by_category.get(c.value)) for c in Category]
