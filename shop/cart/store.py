"""Where carts live.

- Guests: one Redis key per cart, ``cart:guest:<id>``, expiring
  ``CART_GUEST_TTL_SECONDS`` after its last use (reads refresh it too).
  Changes run in a WATCH/MULTI transaction, so two tabs cannot lose an update.
- Customers: Postgres (``Cart``/``CartLine``) is the truth; Redis holds a
  copy, ``cart:user:<id>`` = ``<version>|<lines>``, written after every
  committed change (write-through) and refilled from Postgres on a miss. A
  Lua compare on the version means an older copy never replaces a newer one,
  whatever order concurrent writers finish in. Losing Redis loses nothing.

A change is a function that edits the lines in place and returns the events
to publish; both stores run the same functions (``shop.cart.services``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import redis
from django.conf import settings
from django.db import transaction

from shop.cart.models import Cart, CartLine
from shop.core.events import Event, publish_many
from shop.core.redis import get_redis

log = logging.getLogger(__name__)

GUEST_PREFIX = "cart:guest:"
USER_PREFIX = "cart:user:"

# Set KEYS[1] to ARGV[1]|ARGV[2] unless it already holds a newer version.
_SET_IF_NOT_OLDER = """
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+)|'))
  if version and version > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1
"""


@dataclass(frozen=True)
class LineState:
    sku_id: int
    product_id: int
    quantity: int
    unit_price: Decimal  # when it was added
    currency: str
    added_at: datetime


Lines = dict[int, LineState]
Change = Callable[[Lines], list[Event]]


def encode(lines: Lines) -> str:
    return json.dumps(
        [
            [
                line.sku_id,
                line.product_id,
                line.quantity,
                str(line.unit_price),
                line.currency,
                line.added_at.isoformat(),
            ]
            for line in lines.values()
        ],
        separators=(",", ":"),
    )


def decode(raw: bytes | str) -> Lines:
    lines = {}
    for sku_id, product_id, quantity, price, currency, added_at in json.loads(raw):
        lines[sku_id] = LineState(
            sku_id, product_id, quantity, Decimal(price), currency, datetime.fromisoformat(added_at)
        )
    return lines


# --- guests ------------------------------------------------------------------------------------


def load_guest(cart_id: str) -> Lines:
    raw = get_redis().getex(GUEST_PREFIX + cart_id, ex=settings.CART_GUEST_TTL_SECONDS)
    return decode(raw) if raw else {}


def update_guest(cart_id: str, change: Change) -> Lines:
    key = GUEST_PREFIX + cart_id
    outcome: dict[str, object] = {}

    def apply(pipe: redis.client.Pipeline) -> None:
        raw = pipe.get(key)
        lines = decode(raw) if raw else {}
        events = change(lines)
        pipe.multi()
        if lines:
            pipe.set(key, encode(lines), ex=settings.CART_GUEST_TTL_SECONDS)
        else:
            pipe.delete(key)
        outcome.update(lines=lines, events=events)

    get_redis().transaction(apply, key)
    if outcome["events"]:
        with transaction.atomic():
            publish_many(outcome["events"])
    return outcome["lines"]


def delete_guest(cart_id: str) -> None:
    get_redis().delete(GUEST_PREFIX + cart_id)


# --- customers ---------------------------------------------------------------------------------


def load_user(user_id: int) -> Lines:
    try:
        raw = get_redis().get(f"{USER_PREFIX}{user_id}")
    except redis.RedisError:
        log.warning("Redis unavailable; reading cart of user %s from PostgreSQL", user_id, exc_info=True)
        return _read_user(user_id)[1]
    if raw:
        return decode(raw.split(b"|", 1)[1])
    version, lines = _read_user(user_id)
    _cache_user(user_id, version, lines)
    return lines


def update_user(user_id: int, change: Change) -> Lines:
    with transaction.atomic():
        Cart.objects.bulk_create([Cart(user_id=user_id)], ignore_conflicts=True)
        cart = Cart.objects.select_for_update().get(user_id=user_id)
        before = {row.sku_id: _state(row) for row in cart.lines.all()}
        lines = dict(before)
        events = change(lines)
        _write_diff(cart, before, lines)
        cart.version += 1
        cart.save(update_fields=["version", "updated_at"])
        publish_many(events)
        version = cart.version
        transaction.on_commit(lambda: _cache_user(user_id, version, lines))
    return lines


def _write_diff(cart: Cart, before: Lines, after: Lines) -> None:
    removed = [sku_id for sku_id in before if sku_id not in after]
    if removed:
        CartLine.objects.filter(cart=cart, sku_id__in=removed).delete()
    for sku_id, line in after.items():
        if sku_id in before and before[sku_id] != line:
            CartLine.objects.filter(cart=cart, sku_id=sku_id).update(
                quantity=line.quantity, unit_price=line.unit_price, currency=line.currency
            )
    CartLine.objects.bulk_create(
        CartLine(
            cart=cart,
            sku_id=line.sku_id,
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            currency=line.currency,
            added_at=line.added_at,
        )
        for sku_id, line in after.items()
        if sku_id not in before
    )


def _read_user(user_id: int) -> tuple[int, Lines]:
    cart = Cart.objects.filter(user_id=user_id).first()
    if cart is None:
        return 0, {}
    return cart.version, {row.sku_id: _state(row) for row in cart.lines.all()}


def _state(row: CartLine) -> LineState:
    return LineState(row.sku_id, row.product_id, row.quantity, row.unit_price, row.currency, row.added_at)


def _cache_user(user_id: int, version: int, lines: Lines) -> None:
    """Best effort: a failed write leaves at worst an older copy, which the next change replaces."""
    try:
        get_redis().eval(
            _SET_IF_NOT_OLDER, 1, f"{USER_PREFIX}{user_id}", version, encode(lines), settings.CART_CACHE_TTL_SECONDS
        )
    except redis.RedisError:
        log.warning("could not cache the cart of user %s", user_id, exc_info=True)
