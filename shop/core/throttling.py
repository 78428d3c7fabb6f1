"""Rate limits for the API's expensive or abusable endpoints: DRF throttles counted in the
Redis cache (Django's default cache), so every web process shares one count per client.

A view names its ``throttle_scope``; the rate is ``settings.API_THROTTLE_RATES[scope]``,
read per request so an environment or test setting takes effect without re-importing.
A refusal is a 429 with ``Retry-After`` and the usual error body (``shop.core.api``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """Per customer (or per IP address for guests) and per scope."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)
