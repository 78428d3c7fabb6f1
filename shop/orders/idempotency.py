"""Customer actions with an idempotency key (API ``Idempotency-Key`` header, a hidden field
on the pages): a retried request gets the first answer instead of acting twice.

The key is claimed (a row inserted) in the same transaction as the action, before it
runs, so a concurrent retry waits on the row and then replays the stored answer. A
refused action rolls back with its claim, so it is not stored: retrying it asks again.
The same key with another request is a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from shop.orders.models import IdempotentRequest

MAX_KEY = 200


class IdempotencyConflict(Exception):
    """The key was used for a different request."""


class InvalidKey(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidKey(f"Send an Idempotency-Key of 1 to {MAX_KEY} printable characters (a UUID is best).")
    return key


def run_once(
    user_id: int, key: str, action: str, request: dict[str, Any], perform: Callable[[], tuple[int, dict[str, Any]]]
) -> Answer:
    """Run ``perform`` once for (user, key); later calls with the same key get its answer."""
    key = check_key(key)
    digest = hashlib.sha256(json.dumps([action, request], sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()
    for _attempt in range(2):
        stored = IdempotentRequest.objects.filter(user_id=user_id, key=key).first()
        if stored is not None:
            if stored.request_hash != digest:
                raise IdempotencyConflict("This Idempotency-Key was used for a different request.")
            return Answer(stored.status_code, stored.response, replayed=True)
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user_id=user_id, key=key, action=action, request_hash=digest, status_code=0, response={}
                )
                status, body = perform()
                claim.status_code = status
                claim.response = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
                claim.save(update_fields=["status_code", "response"])
            return Answer(status, claim.response, replayed=False)
        except IntegrityError:
            if not IdempotentRequest.objects.filter(user_id=user_id, key=key).exists():
                raise  # not our key's row: a real integrity problem
    raise IdempotencyConflict("This Idempotency-Key is being used by another request.")
