"""The Redis client for request paths (lookups, view recording).

``shop.core.redis.get_redis`` waits up to 2 s and retries with backoff, right
for jobs; a widget must not hang a page for seconds when Redis is down. This
client gives up after ``REQUEST_TIMEOUT`` with no retry, so an outage costs a
page a fraction of a second and an empty widget (the lookup says why in the log).
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

REQUEST_TIMEOUT = 0.25  # seconds; a healthy lookup takes about a millisecond


def make_request_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=REQUEST_TIMEOUT,
        socket_connect_timeout=REQUEST_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )


@lru_cache(maxsize=1)
def request_redis() -> redis.Redis:
    return make_request_client(settings.REDIS_URL)
