"""Product cards: the little the widgets and the API show, and what exclusions need.

Cards are projected from the catalog (``shop.catalog.services``) into one
Redis hash, ``recs:cards`` (product id -> compact JSON), kept current by the
catalog's events and rebuilt in full by every training run. Serving reads
cards in one HMGET, so a lookup never touches PostgreSQL. A product without a
card is unknown to the recommender and never shown.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from decimal import Decimal

import redis

from shop.catalog import services as catalog
from shop.core.redis import get_redis
from shop.recs.models import ConsumableCategory

log = logging.getLogger(__name__)

CARDS_KEY = "recs:cards"
WRITE_CHUNK = 500
OUT_OF_STOCK = "out_of_stock"


@dataclasses.dataclass(frozen=True)
class Card:
    """A recommendable product as the storefront shows it."""

    product_id: int
    name: str
    slug: str
    brand: str
    price: Decimal
    currency: str
    category_id: int
    available: bool  # active and not out of stock
    consumable: bool  # bought again and again: buying it does not exclude it

    def to_json(self) -> str:
        return json.dumps(
            [
                *(self.name, self.slug, self.brand, str(self.price), self.currency, self.category_id),
                *(int(self.available), int(self.consumable)),
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, product_id: int, raw: bytes | str) -> Card:
        name, slug, brand, price, currency, category_id, available, consumable = json.loads(raw)
        return cls(
            product_id, name, slug, brand, Decimal(price), currency, category_id, bool(available), bool(consumable)
        )


def consumable_category_ids() -> frozenset[int]:
    """Every category under a ``ConsumableCategory`` row (the rule is inherited by subcategories)."""
    ids: set[int] = set()
    for category_id in ConsumableCategory.objects.values_list("category_id", flat=True):
        ids.update(catalog.subtree_category_ids(category_id))
    return frozenset(ids)


def card_for(product: catalog.ProductInfo, consumable_categories: frozenset[int]) -> Card:
    return Card(
        product_id=product.product_id,
        name=product.name,
        slug=product.slug,
        brand=product.brand,
        price=product.price,
        currency=product.currency,
        category_id=product.category_id,
        available=product.is_active and product.availability != OUT_OF_STOCK,
        consumable=product.category_id in consumable_categories,
    )


def write_cards(cards: Iterable[Card], client: redis.Redis | None = None) -> int:
    client = client or get_redis()
    written = 0
    batch: dict[int, str] = {}
    for card in cards:
        batch[card.product_id] = card.to_json()
        written += 1
        if len(batch) >= WRITE_CHUNK:
            client.hset(CARDS_KEY, mapping=batch)
            batch = {}
    if batch:
        client.hset(CARDS_KEY, mapping=batch)
    return written


def refresh_cards(product_ids: Iterable[int]) -> int:
    """Re-project the given products from the catalog (event consumers call this)."""
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return 0
    consumable = consumable_category_ids()
    products = catalog.get_products(ids)
    missing = [i for i in ids if i not in products]
    if missing:
        get_redis().hdel(CARDS_KEY, *missing)
    return write_cards(card_for(product, consumable) for product in products.values())


def all_cards() -> Iterator[Card]:
    """Cards for the whole catalog, read in bounded batches (training and repairs)."""
    consumable = consumable_category_ids()
    for product in catalog.iter_products(batch_size=500):
        yield card_for(product, consumable)


def rebuild_cards() -> int:
    """Project the whole catalog again (after a Redis loss or a consumable-rule change)."""
    count = write_cards(all_cards())
    log.info("recs: wrote %d product cards", count)
    return count
