"""Domain events, the transactional outbox and the subscriber registry.

A domain declares its event types in its own ``events.py`` as frozen dataclasses
deriving from :class:`Event`. A state change calls :func:`publish` inside the
same database transaction, so the event exists if and only if the change
committed (no dual writes). The relay task (``shop.core.tasks``) hands committed
events to the handlers registered with :func:`subscribe`; each handler runs at
most once per event, because its dedup mark is written in its own transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shop.core.models import OutboxEvent

_EVENT_TYPES: dict[str, type[Event]] = {}
_SUBSCRIBERS: dict[str, dict[str, Callable[[Any], None]]] = {}

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event. Subclasses set ``event_type = "domain.Name"``."""

    event_type: ClassVar[str]
    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: dt.datetime = dataclasses.field(default_factory=timezone.now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("event_type")
        if not name:
            raise TypeError(f"{cls.__qualname__} must declare event_type")
        if name in _EVENT_TYPES and _EVENT_TYPES[name].__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {name!r} is declared twice")
        _EVENT_TYPES[name] = cls

    def to_payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-safe values (Decimals become strings)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _ENVELOPE_FIELDS}
        return json.loads(json.dumps(data, cls=DjangoJSONEncoder))

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> Event:
        """Rebuild the typed event a relay message carries."""
        event_cls = _EVENT_TYPES[envelope["type"]]
        hints = typing.get_type_hints(event_cls)
        kwargs = {name: _coerce(hints.get(name), value) for name, value in envelope["payload"].items()}
        occurred_at = parse_datetime(envelope["occurred_at"])
        return event_cls(event_id=uuid.UUID(envelope["id"]), occurred_at=occurred_at, **kwargs)


_ENVELOPE_FIELDS = {"event_id", "occurred_at"}


def _coerce(hint: Any, value: Any) -> Any:
    """Turn a JSON value back into the type the event field declares."""
    if value is None or hint is None:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        candidates = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _coerce(candidates[0], value) if len(candidates) == 1 else value
    if origin in (list, tuple):
        (item_hint, *_) = typing.get_args(hint) or (None,)
        items = [_coerce(item_hint, item) for item in value]
        return tuple(items) if origin is tuple else items
    if hint is Decimal:
        return Decimal(str(value))
    if hint is uuid.UUID:
        return uuid.UUID(str(value))
    if hint is dt.datetime:
        return parse_datetime(value)
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    return value


def envelope_of(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.event_id),
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.to_payload(),
    }


def publish(event: Event) -> None:
    """Write ``event`` to the outbox in the caller's transaction.

    Refuses to run outside ``transaction.atomic()``: an event written in a
    transaction of its own could survive a rolled-back change, or vice versa.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside the transaction that makes the change")
    OutboxEvent.objects.create(
        event_id=event.event_id,
        event_type=event.event_type,
        payload=event.to_payload(),
        occurred_at=event.occurred_at,
    )
    _kick_relay_on_commit()


def publish_many(events: list[Event]) -> None:
    """``publish`` for a batch (bulk imports): one INSERT for all of them."""
    if not events:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("publish_many() must be called inside the transaction that makes the change")
    OutboxEvent.objects.bulk_create(
        OutboxEvent(
            event_id=event.event_id,
            event_type=event.event_type,
            payload=event.to_payload(),
            occurred_at=event.occurred_at,
        )
        for event in events
    )
    _kick_relay_on_commit()


def _kick_relay_on_commit() -> None:
    """Ask for a relay right after commit, once per transaction, so events flow in
    milliseconds instead of waiting for the beat's next tick."""
    if any(callback is _kick_relay for _sids, callback, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_kick_relay, robust=True)


def _kick_relay() -> None:
    from shop.core.tasks import relay_outbox

    relay_outbox.delay()


Handler = Callable[[E], None]


def subscribe(*event_classes: type[Event]) -> Callable[[Handler], Handler]:
    """Register a handler for one or more event types.

    The handler's dotted name is its consumer identity for deduplication, so
    renaming a handler makes it see retained events again; keep names stable.
    """

    def register(handler: Handler) -> Handler:
        consumer = f"{handler.__module__}.{handler.__qualname__}"
        for event_cls in event_classes:
            _SUBSCRIBERS.setdefault(event_cls.event_type, {})[consumer] = handler
        return handler

    return register


def consumers_of(event_type: str) -> list[str]:
    return sorted(_SUBSCRIBERS.get(event_type, {}))


def handler_for(event_type: str, consumer: str) -> Callable[[Any], None] | None:
    return _SUBSCRIBERS.get(event_type, {}).get(consumer)


def unsubscribe(consumer: str) -> None:
    """Drop a consumer everywhere (tests register throwaway handlers)."""
    for handlers in _SUBSCRIBERS.values():
        handlers.pop(consumer, None)
