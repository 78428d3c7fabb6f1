"""The accounts domain's published interface (other domains keep ``user_id`` integers)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model


def get_date_joined(user_id: int) -> datetime | None:
    """When the account was created; None for an unknown (e.g. deleted) account."""
    return get_user_model().objects.filter(id=user_id).values_list("date_joined", flat=True).first()
