"""Idempotency keys for unsafe requests a retry could repeat (placing an order, cancelling,
returning): one rule for keys, one set of errors, one store of first answers.

The client sends ``Idempotency-Key`` (a page, a hidden field). Semantics follow the IETF
``Idempotency-Key`` header draft: no key is a 400, the same key with another request is a
422, the same key while its first request is still running is a 409, and the same key with
the same request gets the first answer again (the API says ``Idempotent-Replayed: true``).

``run_once`` stores the answer of an action that has no record of its own; an action that
creates a record (a checkout) keeps the key on that record instead and uses ``check_key``
and ``IdempotencyKeyReused`` here, so every endpoint speaks the same way.

The key is claimed (a row inserted) in the same transaction as the action, before it runs,
so a concurrent retry waits on the row and then replays the stored answer. A refused action
rolls back with its claim, so it is not stored: retrying it asks again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from shop.core.errors import DomainError
from shop.core.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY = 200
KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces (UUIDs, ULIDs, ...)


class IdempotencyError(DomainError):
    """Any refusal about the key itself (not about the action it guards)."""


class IdempotencyKeyRequired(IdempotencyError):
    code = "idempotency_key_required"

    def __init__(self) -> None:
        message = f"Send an {HEADER} header (e.g. a new UUID per attempt) so a retry cannot act twice."
        super().__init__(message, fields={HEADER: ["This header is required."]})


class InvalidIdempotencyKey(IdempotencyError):
    code = "invalid_idempotency_key"

    def __init__(self) -> None:
        message = f"An {HEADER} is 1 to {MAX_KEY} printable characters without spaces (a UUID is best)."
        super().__init__(message, fields={HEADER: ["Invalid."]})


class IdempotencyKeyReused(IdempotencyError):
    """The key was used for a different request: a client bug, never a retry."""

    code = "idempotency_key_reused"
    status = 422

    def __init__(self) -> None:
        message = f"This {HEADER} was already used for a different request. Use a new key for a new action."
        super().__init__(message, fields={HEADER: ["Already used with a different request."]})


class IdempotencyKeyInFlight(IdempotencyError):
    """The first request with this key has not finished: retry in a moment."""

    code = "idempotency_conflict"
    status = 409

    def __init__(self) -> None:
        super().__init__(f"A request with this {HEADER} is still being processed; retry shortly.")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool


def check_key(key: str | None) -> str:
    if not key:
        raise IdempotencyKeyRequired()
    if not KEY.match(key):
        raise InvalidIdempotencyKey()
    return key


def digest(*request: Any) -> str:
    """A stable hash of what was asked, to tell a retry from another request under the same key."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def run_once(
    user_id: int, key: str, action: str, request: dict[str, Any], perform: Callable[[], tuple[int, dict[str, Any]]]
) -> Answer:
    """Run ``perform`` once for (user, key); later calls with the same key get its answer."""
    key = check_key(key)
    request_hash = digest(action, request)
    for _attempt in range(2):
        stored = IdempotentRequest.objects.filter(user_id=user_id, key=key).first()
        if stored is not None:
            if stored.request_hash != request_hash:
                raise IdempotencyKeyReused()
            return Answer(stored.status_code, stored.response, replayed=True)
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user_id=user_id, key=key, action=action, request_hash=request_hash, status_code=0, response={}
                )
                status, body = perform()
                claim.status_code = status
                claim.response = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
                claim.save(update_fields=["status_code", "response"])
            return Answer(status, claim.response, replayed=False)
        except IntegrityError:
            if not IdempotentRequest.objects.filter(user_id=user_id, key=key).exists():
                raise  # not our key's row: a real integrity problem
    raise IdempotencyKeyInFlight()
