"""Money is an exact Decimal with a currency; mixing or floats are refused."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from shop.core.money import Money


def test_money_rounds_half_up_to_the_currencys_minor_unit():
    assert Money.of("10.005", "INR").amount == Decimal("10.01")
    assert Money.of("10.5", "JPY").amount == Decimal("11")


def test_money_converts_to_and_from_minor_units():
    assert Money.of("12.34", "USD").to_minor() == 1234
    assert Money.from_minor(1234, "USD") == Money.of("12.34", "USD")


def test_money_refuses_mixed_currencies_and_floats():
    with pytest.raises(ValueError, match="cannot combine"):
        Money.of(1, "USD") + Money.of(1, "EUR")
    with pytest.raises(TypeError):
        Money.of(1, "USD") * 1.5
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]


def test_money_multiplies_by_quantity():
    assert Money.of("19.99", "INR") * 3 == Money.of("59.97", "INR")


# --- {{ amount|money:currency }} in pages and emails ------------------------------------------


@pytest.mark.parametrize(
    ("template", "context", "shown"),
    [
        ("{{ amount|money:'INR' }}", {"amount": Decimal("2499")}, "INR 2,499.00"),
        ("{{ amount|money:'JPY' }}", {"amount": Decimal("1200")}, "JPY 1,200"),
        ("{{ amount|money:'KWD' }}", {"amount": "3.5"}, "KWD 3.500"),
        ("{{ amount|money }}", {"amount": Money.of("168", "INR")}, "INR 168.00"),
        ("[{{ amount|money:'INR' }}]", {"amount": None}, "[]"),
        ("[{{ amount|money:'INR' }}]", {"amount": "n/a"}, "[]"),
        ("[{{ amount|money }}]", {"amount": Decimal("5")}, "[]"),
        ("{{ amount|money:'INR' }}", {"amount": Decimal("-1234567.005")}, "INR -1,234,567.01"),
    ],
)
def test_money_filter_shows_the_currency_first_with_grouped_digits_and_its_minor_units(template, context, shown):
    assert Template("{% load money %}" + template).render(Context(context)) == shown


def test_money_reads_in_messages_and_the_admin_as_on_pages():
    amount = Money.of("2499", "INR")
    assert f"Refunded {amount}." == "Refunded INR 2,499.00."
    assert str(Money.of("1500", "JPY")) == "JPY 1,500"
