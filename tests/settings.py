"""Test settings: the project's settings, pointed at test-only Redis keys.

Tests flush their Redis database, so they never use the store's: the Redis
database is ``TEST_REDIS_URL`` or, by default, database 15 on the store's server.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from shop.settings import *  # noqa: F403
from shop.settings import INSTALLED_APPS, REDIS_URL


def _test_redis_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/15"))


REDIS_URL = os.environ.get("TEST_REDIS_URL") or _test_redis_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shoptest",
    }
}
# In-process tests run tasks inline once their transaction commits; tests that
# need a real worker switch this off and start one (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]

# The broker gets its own Redis database, so tests can flush the cache's freely.
CELERY_BROKER_URL = os.environ.get("TEST_BROKER_URL") or urlunsplit(urlsplit(REDIS_URL)._replace(path="/14"))
