"""Analytics' published reads."""

from datetime import date

from shop.analytics.models import OrderTransitionCount


def transition_counts(day: date) -> dict[tuple[str, str], int]:
    """(from status, to status) → orders that made that move on ``day`` ("" → placed: created)."""
    rows = OrderTransitionCount.objects.filter(day=day).values_list("from_status", "to_status", "count")
    return {(source, target): count for source, target, count in rows}
