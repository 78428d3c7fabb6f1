"""Per-customer rate limits on new tickets and messages: DRF throttles, counted in the Redis
cache (so every web and API process shares them). The pages use the same classes as the API,
through :func:`retry_after`."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import UserRateThrottle


class TicketThrottle(UserRateThrottle):
    """New tickets per customer (``SUPPORT_TICKET_RATE``, e.g. ``10/hour``)."""

    scope = "support_ticket"

    def get_rate(self) -> str:
        return settings.SUPPORT_TICKET_RATE


class MessageThrottle(UserRateThrottle):
    """Customer messages on tickets (``SUPPORT_MESSAGE_RATE``)."""

    scope = "support_message"

    def get_rate(self) -> str:
        return settings.SUPPORT_MESSAGE_RATE


def retry_after(throttle_class: type[UserRateThrottle], request: HttpRequest | Any) -> int | None:
    """None if the request may go ahead (and it is counted), else the seconds to wait."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))
