"""Builders for recommendation tests: log rows, and a small trained world."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from shop.catalog.models import Category, Product
from shop.recs import publishing, training
from shop.recs.models import Interaction, ModelVersion
from tests.factories import CategoryFactory, ProductFactory

SMALL_WORLD_ALS = {"factors": 8, "regularization": 0.05, "iterations": 20, "alpha": 1.0, "weighting": "bm25"}


@pytest.fixture
def small_world_als(settings):
    """ALS sized for a dozen customers: the shipped regularization is tuned for thousands
    and would flatten a toy world's factors to noise."""
    settings.RECS_ALS = SMALL_WORLD_ALS


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    kind = Interaction.Kind.PURCHASE
    product_id = 1
    user_id = factory.Sequence(lambda n: 1000 + n)
    session_id = ""
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))


def bought(user_id: int, *products: Product, days_ago: float = 2, kind: int = Interaction.Kind.PURCHASE) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    for product in products:
        InteractionFactory(kind=kind, product_id=product.id, user_id=user_id, occurred_at=at)


@dataclasses.dataclass
class World:
    """Two taste groups: tea drinkers buy tea things, campers buy camping things.

    Customers 1..6 drink tea, 11..16 camp; customer 1 has not bought the kettle yet,
    customer 11 has not bought the lamp yet. ``trained_at`` is the training time.
    """

    tea: Category
    camping: Category
    kettle: Product
    teapot: Product
    cups: Product
    tea_leaves: Product
    tent: Product
    stove: Product
    lamp: Product
    mat: Product
    version: ModelVersion
    trained_at: datetime

    @property
    def tea_things(self) -> set[int]:
        return {self.kettle.id, self.teapot.id, self.cups.id, self.tea_leaves.id}

    @property
    def camping_things(self) -> set[int]:
        return {self.tent.id, self.stove.id, self.lamp.id, self.mat.id}


def build_world(*, activate: bool = True) -> World:
    tea = CategoryFactory(name="Tea", slug="tea")
    camping = CategoryFactory(name="Camping", slug="camping")

    def product(name: str, category: Category, rating_count: int = 0) -> Product:
        return ProductFactory(
            name=name,
            slug=name.lower().replace(" ", "-"),
            category=category,
            price=Decimal("100"),
            rating_count=rating_count,
        )

    kettle, teapot, cups, leaves = (product(n, tea) for n in ("Kettle", "Teapot", "Cups", "Tea Leaves"))
    tent, stove, lamp, mat = (product(n, camping) for n in ("Tent", "Stove", "Lamp", "Mat"))
    for user_id in range(1, 7):
        bought(user_id, teapot, cups, leaves, *([kettle] if user_id != 1 else []))
    for user_id in range(11, 17):
        bought(user_id, tent, stove, mat, *([lamp] if user_id != 11 else []))
    version = training.train()
    if activate:
        publishing.activate(version.id)
    version.refresh_from_db()
    return World(tea, camping, kettle, teapot, cups, leaves, tent, stove, lamp, mat, version, version.trained_at)
