"""The simulated carrier: rate quotes, real PDF labels with a barcode, UPS-format tracking numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import barcode
import pytest

from shop.fulfillment.carriers import Address, Parcel, carrier
from shop.fulfillment.labels import code128_modules, render_label
from shop.fulfillment.simulated_carrier import SimulatedCarrier, check_digit, is_valid_tracking_number

HOME = Address.from_dict({"name": "A Buyer", "line1": "1 MG Road", "city": "Bengaluru", "postcode": "560001"})
WAREHOUSE = Address(name="Shop fulfilment centre", line1="Plot 12", city="Bhiwandi", postcode="421302")


def test_quotes_offer_ground_and_express_priced_per_started_kilogram(settings):
    quotes = SimulatedCarrier().quote(WAREHOUSE, HOME, Parcel(weight_grams=1200))

    assert [(q.service, q.level, str(q.amount), q.days_min, q.days_max) for q in quotes] == [
        ("SIMEX_GROUND", "standard", "INR 100.00", 3, 6),
        ("SIMEX_EXPRESS", "express", "INR 240.00", 1, 2),
    ]


def test_the_carrier_is_found_by_its_code_and_unknown_codes_are_refused(settings):
    assert carrier("simex").name == "Simex"
    with pytest.raises(LookupError):
        carrier("pigeon")


def test_ups_check_digit_matches_ups_published_example():
    assert check_digit("999AA1012345678") == "4"  # 1Z 999 AA1 01 2345 678 4
    assert is_valid_tracking_number("1Z999AA10123456784")
    assert not is_valid_tracking_number("1Z999AA10123456785")


def test_a_label_is_a_pdf_with_the_tracking_number_and_its_code_128_barcode(settings):
    simex = SimulatedCarrier()
    (ground, _express) = simex.quote(WAREHOUSE, HOME, Parcel(900))

    label = simex.create_label(ground, WAREHOUSE, HOME, Parcel(900), "SHP-42")

    assert re.fullmatch(r"1ZSHOP0103\d{7}\d", label.tracking_number)
    assert is_valid_tracking_number(label.tracking_number)
    assert label.tracking_number[10:17] == "0000042"  # the package number is the parcel's
    assert label.pdf.startswith(b"%PDF-")
    assert label.pdf.rstrip().endswith(b"%%EOF")
    assert f"({label.tracking_number})".encode() in label.pdf.replace(b" ", b"")
    assert b"Bengaluru" in label.pdf
    assert b"Bhiwandi" in label.pdf
    assert str(label.postage) == "INR 80.00"  # 60 + 20 for the started kilogram


def test_the_barcode_drawn_is_python_barcodes_code_128_of_the_tracking_number():
    modules = code128_modules("1ZSHOP010300000424")
    assert modules == barcode.get("code128", "1ZSHOP010300000424").build()[0]
    assert modules.startswith("11010010000")  # Code 128 "Start B"
    assert modules.endswith("1100011101011")  # and its stop pattern
    pdf = render_label(
        carrier_name="Simex",
        service="SIMEX_GROUND",
        tracking_number="1ZSHOP010300000424",
        ship_from=WAREHOUSE,
        ship_to=HOME,
        weight_grams=900,
        reference="SHP-42",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    bars = modules.count("10") + modules.endswith("1")  # runs of black modules
    assert pdf.count(b" re") >= bars  # one filled rectangle per bar


def test_return_labels_use_the_returns_service_code_and_go_to_the_warehouse(settings):
    simex = SimulatedCarrier()
    (ground, _express) = simex.quote(HOME, WAREHOUSE, Parcel(450))

    label = simex.create_label(ground, HOME, WAREHOUSE, Parcel(450), "RET-7")

    assert label.tracking_number[8:10] == "90"
    assert b"RETURN TO" in label.pdf


def test_tracking_links_point_at_the_public_tracking_page(settings):
    settings.SITE_URL = "https://shop.example"
    assert SimulatedCarrier().tracking_url("1ZSHOP010300000424") == "https://shop.example/track/1ZSHOP010300000424/"
