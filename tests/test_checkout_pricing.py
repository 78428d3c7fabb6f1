"""Pricing from staff-editable tables: zones by postcode, shipping by weight, tax by destination."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shop.checkout import pricing
from shop.checkout.models import ShippingRate, ShippingZone, TaxRate
from shop.core.money import Money

pytestmark = pytest.mark.django_db

BENGALURU = {"name": "A Buyer", "line1": "1 MG Road", "city": "Bengaluru", "postcode": "560001", "country": "in"}


def line(price: str, quantity: int = 1, grams: int = 500) -> pricing.PricedLine:
    return pricing.PricedLine(sku_id=1, quantity=quantity, unit_price=Money.of(price, "INR"), weight_grams=grams)


def test_address_is_normalized_and_validated():
    address = pricing.clean_address(BENGALURU)

    assert (address.country, address.postcode) == ("IN", "560001")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "56001"}, "postcode"),
        ({"postcode": "060001"}, "postcode"),
        ({"country": "India"}, "country"),
        ({"line1": ""}, "line1"),
        ({"city": "x" * 101}, "city"),
    ],
)
def test_invalid_address_names_the_field(changes, field):
    with pytest.raises(ValidationError) as error:
        pricing.clean_address(BENGALURU | changes)

    assert field in error.value.message_dict


def test_standard_shipping_is_free_over_the_threshold_and_gst_applies():
    quote = pricing.quote([line("600")], pricing.clean_address(BENGALURU), "standard")

    assert quote.zone == "in-south"
    assert quote.shipping == Money.of(0, "INR")
    assert quote.tax == Money.of("108.00", "INR")
    assert quote.total == Money.of("708.00", "INR")


def test_express_shipping_is_charged_per_started_kilogram_and_taxed():
    quote = pricing.quote([line("100", quantity=3, grams=700)], pricing.clean_address(BENGALURU), "express")

    # 2.1 kg → 3 started kg: 99 + 3 * 40 = 219; GST 18% of (300 + 219)
    assert quote.shipping == Money.of("219", "INR")
    assert quote.tax == Money.of("93.42", "INR")
    assert quote.total == Money.of("612.42", "INR")


def test_regional_tax_rate_overrides_the_country_rate():
    TaxRate.objects.create(country="IN", region="KA", name="GST-KA", rate=Decimal("0.05"), applies_to_shipping=False)

    quote = pricing.quote([line("1000")], pricing.clean_address(BENGALURU | {"region": "KA"}), "standard")

    assert quote.tax == Money.of("50.00", "INR")
    assert quote.tax_name == "GST-KA"


def test_staff_edits_to_rates_change_prices_without_code():
    ShippingRate.objects.filter(option="standard", zone__code="in-south").update(free_over=None, base_fee=Decimal("10"))

    quote = pricing.quote([line("600")], pricing.clean_address(BENGALURU), "standard")

    assert quote.shipping == Money.of("30", "INR")  # 10 + 1 kg * 20


def test_longest_postcode_prefix_picks_the_zone():
    ShippingZone.objects.create(code="blr", name="Bengaluru city", country="IN", postcode_prefixes=["560"])

    assert pricing.zone_for(pricing.clean_address(BENGALURU)).code == "blr"


def test_unknown_option_and_unserved_country_are_pricing_errors():
    with pytest.raises(pricing.PricingError) as unknown:
        pricing.quote([line("10")], pricing.clean_address(BENGALURU), "drone")
    with pytest.raises(pricing.PricingError) as abroad:
        pricing.quote(
            [line("10")], pricing.clean_address(BENGALURU | {"country": "FR", "postcode": "75001"}), "standard"
        )

    assert unknown.value.code == "unknown_shipping_option"
    assert abroad.value.code == "no_shipping"


def test_options_are_listed_cheapest_first():
    options = pricing.quote_options([line("100")], pricing.clean_address(BENGALURU))

    assert [quote.option for quote in options] == ["standard", "express"]
