"""Catalog writes: attribute bags validated per category, events in the same transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shop.catalog import services
from shop.catalog.models import Category, Product, Sku
from shop.core.models import OutboxEvent
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def computers():
    root = CategoryFactory(
        name="Computers",
        attribute_schema={
            "properties": {"RAM (GB)": {"type": "integer", "minimum": 1}, "Colour": {"type": "string"}},
            "required": ["RAM (GB)"],
        },
    )
    laptops = CategoryFactory(
        name="Laptops", parent=root, attribute_schema={"properties": {"Screen": {"enum": ["13in", "15in"]}}}
    )
    return Category.objects.get(id=laptops.id)


def test_product_inherits_attribute_schema_from_ancestors(computers):
    product = services.create_product(
        name="Ultrabook",
        category=computers,
        price=Decimal("50000"),
        attributes={"RAM (GB)": 16, "Screen": "13in", "Colour": "Silver"},
    )

    assert product.attributes["RAM (GB)"] == 16
    assert OutboxEvent.objects.filter(event_type="catalog.ProductCreated", payload__product_id=product.id).exists()


@pytest.mark.parametrize(
    ("bag", "message"),
    [
        ({"RAM (GB)": 16, "Seat height": "40cm"}, "Seat height: not an attribute of category 'Laptops'."),
        ({"Screen": "13in"}, "RAM (GB): required for category 'Laptops'."),
        ({"RAM (GB)": "lots"}, "RAM (GB): 'lots' is not of type 'integer'."),
        ({"RAM (GB)": 8, "Screen": "17in"}, "Screen: '17in' is not one of ['13in', '15in']."),
        (["RAM"], "Attributes must be a JSON object of name → value."),
    ],
)
def test_attribute_bag_violating_the_schema_is_rejected_naming_the_attribute(computers, bag, message):
    with pytest.raises(ValidationError) as error:
        services.create_product(name="Bad", category=computers, price=Decimal("1"), attributes=bag)

    assert message in error.value.message_dict["attributes"]
    assert not Product.objects.filter(name="Bad").exists()
    assert not OutboxEvent.objects.exists()


def test_sku_failing_validation_leaves_no_half_written_product(computers):
    with pytest.raises(ValidationError):
        services.create_product(
            name="Half",
            category=computers,
            price=Decimal("1"),
            attributes={"RAM (GB)": 4},
            skus=[{"code": "OK-1"}, {"code": "BAD", "price_override": Decimal("-1")}],
        )

    assert not Product.objects.filter(name="Half").exists()
    assert not Sku.objects.filter(code="OK-1").exists()
    assert not OutboxEvent.objects.exists()


def test_invalid_category_schema_is_rejected():
    category = CategoryFactory(name="Odd")
    category.attribute_schema = {"properties": {"x": {"type": "no-such-type"}}}

    with pytest.raises(ValidationError, match="Invalid schema"):
        category.full_clean()


def test_price_update_publishes_updated_and_price_changed_with_old_and_new():
    product = ProductFactory(price=Decimal("10.00"))

    services.update_product(product.id, price=Decimal("12.50"))

    changed = OutboxEvent.objects.get(event_type="catalog.ProductPriceChanged")
    assert (changed.payload["old_price"], changed.payload["new_price"]) == ("10.00", "12.50")
    assert OutboxEvent.objects.get(event_type="catalog.ProductUpdated").payload["fields"] == ["price"]


def test_update_without_changes_publishes_nothing():
    product = ProductFactory(price=Decimal("10.00"))

    services.update_product(product.id, price=Decimal("10.00"))

    assert not OutboxEvent.objects.exists()


def test_get_skus_returns_dtos_with_effective_price_and_sellability():
    product = ProductFactory(price=Decimal("100"), skus=[{}, {"price_override": Decimal("80"), "is_active": False}])
    first, second = product.skus.order_by("position")

    infos = services.get_skus([first.id, second.id, 987654])

    assert infos[first.id].price == Decimal("100")
    assert infos[first.id].is_sellable
    assert infos[second.id].price == Decimal("80")
    assert not infos[second.id].is_sellable
    assert 987654 not in infos


def test_iter_products_pages_through_everything_with_category_paths():
    parent = CategoryFactory(name="Home")
    child = CategoryFactory(name="Lamps", parent=parent)
    made = [ProductFactory(category=child) for _ in range(5)]

    seen = list(services.iter_products(batch_size=2))

    assert [info.product_id for info in seen] == [p.id for p in made]
    assert seen[0].category_path == ["Home", "Lamps"]


def test_availability_projection_publishes_only_when_the_status_changes():
    product = ProductFactory()

    assert services.set_availability(product.id, "low_stock") is True
    assert services.set_availability(product.id, "low_stock") is False

    assert OutboxEvent.objects.filter(event_type="catalog.ProductUpdated").count() == 1
    assert services.get_products([product.id])[product.id].availability == "low_stock"


def test_unknown_availability_is_refused():
    product = ProductFactory()

    with pytest.raises(ValueError, match="unknown availability"):
        services.set_availability(product.id, "plenty")


def test_bulk_create_products_validates_writes_skus_and_publishes_one_event_each():
    category = CategoryFactory(name="Bulk", attribute_schema={"properties": {"Colour": {"type": "string"}}})
    items = [
        services.NewProduct(name="Red lamp", price=Decimal("10"), sku_code="B-1", attributes={"Colour": "Red"}),
        services.NewProduct(name="Blue lamp", price=Decimal("12"), sku_code="B-2"),
    ]

    ids = services.create_products(category, items)

    assert [Product.objects.get(id=i).name for i in ids] == ["Red lamp", "Blue lamp"]
    assert list(Sku.objects.filter(product_id__in=ids).order_by("code").values_list("code", flat=True)) == [
        "B-1",
        "B-2",
    ]
    assert OutboxEvent.objects.filter(event_type="catalog.ProductCreated").count() == 2


def test_bulk_create_products_rejects_the_whole_batch_on_one_bad_product():
    category = CategoryFactory(name="Strict")
    items = [
        services.NewProduct(name="Fine", price=Decimal("10"), sku_code="S-1"),
        services.NewProduct(name="Odd", price=Decimal("10"), sku_code="S-2", attributes={"Weight": "1kg"}),
    ]

    with pytest.raises(ValidationError, match="Weight"):
        services.create_products(category, items)

    assert not Product.objects.filter(name__in=["Fine", "Odd"]).exists()
    assert not OutboxEvent.objects.exists()
