"""``manage.py import_flipkart``: cleaning rules on real rows, and imports of the real files."""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from io import StringIO
from itertools import islice
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from shop.catalog import attributes
from shop.catalog.importing import flipkart, generated, loader
from shop.catalog.models import Brand, Category, Product, ProductImage, Sku
from shop.core.models import OutboxEvent

DATA_DIR = settings.SHARED_DATA_DIR / "flipkart_products"
ALISHA = "c2d766ca982eca8304150849735ffef9"  # row 1: Clothing, with specifications and 4 images
AW_BELLIES = "f449ec65dcbc041b6ae5e6a32717d01b"  # row 3: Footwear
ALISHA_SPECS = (
    '{"product_specification"=>[{"key"=>"Number of Contents in Sales Package", "value"=>"Pack of 3"}, '
    '{"key"=>"Fabric", "value"=>"Cotton Lycra"}, {"key"=>"Type", "value"=>"Cycling Shorts"}, '
    '{"key"=>"Pattern", "value"=>"Solid"}, {"key"=>"Ideal For", "value"=>"Women\'s"}, '
    '{"value"=>"Gentle Machine Wash in Lukewarm Water, Do Not Bleach"}, '
    '{"key"=>"Style Code", "value"=>"ALTHT_3P_21"}, {"value"=>"3 shorts"}]}'
)

needs_data = pytest.mark.skipif(bool(flipkart.missing_files(DATA_DIR)), reason=f"no Flipkart data in {DATA_DIR}")


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("import_flipkart", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def table_counts() -> dict[str, int]:
    models = (Product, Sku, ProductImage, Category, Brand, OutboxEvent)
    return {model.__name__: model.objects.count() for model in models}


# ---------------------------------------------------------------------------
# Pure functions, on rows of the data
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "name", "brand", "expected"),
    [
        pytest.param(
            "[\"Clothing >> Women's Clothing >> Lingerie, Sleep & Swimwear >> Shorts >> Alisha Shorts >> "
            "Alisha Solid Women's Cycling Shorts\"]",
            "Alisha Solid Women's Cycling Shorts",
            "Alisha",
            ("Clothing", "Women's Clothing", "Lingerie, Sleep & Swimwear", "Shorts"),
            id="brand shelf and product name",
        ),
        pytest.param(
            '["Furniture >> Living Room Furniture >> Sofa Beds & Futons >> '
            'FabHomeDecor Fabric Double Sofa Bed (Finish Colo..."]',
            "FabHomeDecor Fabric Double Sofa Bed",
            "FabHomeDecor",
            ("Furniture", "Living Room Furniture", "Sofa Beds & Futons"),
            id="cut-off product name",
        ),
        pytest.param(
            '["Clothing >> Men\'s Clothing >> T-Shirts >> Nucode T-Shirts"]',
            "Nucode Graphic Print Men's V-neck T-Shirt",
            "",
            ("Clothing", "Men's Clothing", "T-Shirts"),
            id="brand shelf without a brand column",
        ),
        pytest.param(
            '["Jewellery >> Necklaces & Chains >> Necklaces"]',
            "Jewellerywale Alloy Necklace",
            "Jewellerywale",
            ("Jewellery", "Necklaces & Chains", "Necklaces"),
            id="brand that merely starts like a category",
        ),
        pytest.param(
            '["Nut Khut Embroidered Kurta & Churidar"]',
            "Nut Khut Embroidered Kurta & Churidar",
            "Nut Khut",
            ("Other",),
            id="lone product name",
        ),
        pytest.param(
            '["Sumo Baby Walker (Red)"]', "Sumo Baby Walker", "Sumo", ("Other",), id="lone product name with variant"
        ),
        pytest.param('["Sunglasses"]', "YNA Aviator Sunglasses", "", ("Sunglasses",), id="lone real category"),
        pytest.param(
            '["eBooks >> Academic Texts >> Medical >> Diseases And Diagnosis >> Diseases >> Infectious Diseases"]',
            "Atlas of Human Infectious Diseases",
            "",
            ("eBooks", "Academic Texts", "Medical", "Diseases And Diagnosis", "Diseases"),
            id="depth capped",
        ),
    ],
)
def test_clean_category_path(tree: str, name: str, brand: str, expected: tuple[str, ...]) -> None:
    assert flipkart.clean_category_path(tree, name, brand) == expected


def test_brand_column_shifted_to_a_fit_falls_back_to_the_path() -> None:
    tree = '["Clothing >> Kids\' Clothing >> Boys Wear >> Jeans >> PuppetNx Jeans"]'
    assert flipkart.resolve_brand("PuppetNx Slim Fit Boy's Jeans", "Slim", "", tree) == "PuppetNx"
    assert flipkart.resolve_brand("Alisha Solid Women's Cycling Shorts", "Alisha", "", tree) == "Alisha"
    assert flipkart.resolve_brand("Asian Gems & Jewels Ring", "", "Asian Gems & Jewels", '["Jewellery"]') == (
        "Asian Gems & Jewels"
    )
    assert flipkart.resolve_brand("Karatcraft Ring", "White", "", '["Jewellery >> Rings"]') == ""


def test_parse_specifications_drops_entries_without_a_key() -> None:
    assert flipkart.parse_specifications(ALISHA_SPECS) == {
        "Number of Contents in Sales Package": "Pack of 3",
        "Fabric": "Cotton Lycra",
        "Type": "Cycling Shorts",
        "Pattern": "Solid",
        "Ideal For": "Women's",
        "Style Code": "ALTHT_3P_21",
    }
    assert flipkart.parse_specifications("") == {}


def test_parse_scalars() -> None:
    assert flipkart.parse_price(" 379 ") == Decimal("379")
    assert flipkart.parse_price("") is None
    assert flipkart.parse_rating("4.5") == Decimal("4.50")
    assert flipkart.parse_rating("No rating available") == 0
    assert flipkart.parse_image_urls('["http://img5a.flixcart.com/a.jpeg", "http://img5a.flixcart.com/a.jpeg"]') == (
        "http://img5a.flixcart.com/a.jpeg",
    )


def test_duplicate_pid_gets_a_suffix_and_the_first_keeps_it() -> None:
    seen: set[str] = set()
    assert flipkart.dedupe_sku_code("JEAEGE8Q8GXYFTGU", "aaaaaaaa11", seen) == "JEAEGE8Q8GXYFTGU"
    assert flipkart.dedupe_sku_code("JEAEGE8Q8GXYFTGU", "bbbbbbbb22", seen) == "JEAEGE8Q8GXYFTGU-bbbbbbbb"


def test_generated_values_are_deterministic() -> None:
    shorts = generated.sku_specs("SRTEH2FF9KEDEFGF", ALISHA, "Clothing")
    assert [spec.code for spec in shorts] == [f"SRTEH2FF9KEDEFGF-{size}" for size in ("S", "M", "L", "XL")]
    assert shorts == generated.sku_specs("SRTEH2FF9KEDEFGF", ALISHA, "Clothing")
    assert [spec.variant_attributes for spec in generated.sku_specs("X", AW_BELLIES, "Footwear")] == [
        {"Size": f"UK {size}"} for size in range(6, 11)
    ]
    (ring,) = generated.sku_specs("RNG1", "some-id", "Jewellery")
    assert ring.code == "RNG1"
    assert 37 <= ring.weight_grams <= 63  # 50 g ± 25 %
    assert 1 <= generated.rating_count(ALISHA) == generated.rating_count(ALISHA) <= generated.RATING_COUNT_MAX


# ---------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------


@needs_data
@pytest.mark.django_db
def test_import_first_300_rows() -> None:
    output = run_import("--limit", "300")

    assert "297 created" in output
    assert "3 skipped (no price)" in output
    assert Product.objects.count() == 297
    assert Category.objects.count() == 110
    assert Category.objects.find_problems() == ([], [], [], [], [])
    assert OutboxEvent.objects.filter(event_type="catalog.ProductCreated").count() == 297
    assert OutboxEvent.objects.filter(event_type="catalog.CategoryChanged").count() == 110

    shorts = Product.objects.select_related("brand", "category").get(external_id=ALISHA)
    assert (shorts.price, shorts.list_price, shorts.currency) == (Decimal("379"), Decimal("999"), "INR")
    assert shorts.brand.name == "Alisha"
    assert [node.name for node in Category.objects.get_ancestors(shorts.category)] + [shorts.category.name] == [
        "Clothing",
        "Women's Clothing",
        "Lingerie, Sleep & Swimwear",
        "Shorts",
    ]
    assert shorts.attributes["Fabric"] == "Cotton Lycra"
    attributes.validate_for_category(shorts.attributes, shorts.category)
    assert list(shorts.images.values_list("alt_text", flat=True)) == [shorts.name] * 4
    assert [(sku.code, sku.variant_attributes) for sku in shorts.skus.all()] == [
        ("SRTEH2FF9KEDEFGF-S", {"Size": "S"}),
        ("SRTEH2FF9KEDEFGF-M", {"Size": "M"}),
        ("SRTEH2FF9KEDEFGF-L", {"Size": "L"}),
        ("SRTEH2FF9KEDEFGF-XL", {"Size": "XL"}),
    ]
    assert Product.objects.get(external_id=AW_BELLIES).skus.count() == 5


@needs_data
@pytest.mark.django_db
def test_every_imported_product_passes_full_clean() -> None:
    run_import("--limit", "300")

    for product in Product.objects.select_related("category"):
        product.full_clean()


@needs_data
@pytest.mark.django_db
def test_second_run_changes_nothing_and_publishes_nothing() -> None:
    run_import("--limit", "300")
    before = table_counts()

    output = run_import("--limit", "300")

    assert "0 created, 0 updated, 297 unchanged" in output
    assert table_counts() == before


@needs_data
@pytest.mark.django_db
def test_interrupted_import_is_finished_by_running_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    records = flipkart.read_records(DATA_DIR, limit=120).records
    original_batch = loader.import_batch

    def fail_on_second_batch(batch: list[flipkart.ProductRecord], *args: object) -> None:
        if batch[0] is records[50]:
            raise RuntimeError("worker killed")
        original_batch(batch, *args)

    monkeypatch.setattr(loader, "BATCH_SIZE", 50)
    monkeypatch.setattr(loader, "import_batch", fail_on_second_batch)
    with pytest.raises(RuntimeError):
        loader.import_records(records)
    assert Product.objects.count() == 50  # the first batch committed, the second rolled back whole

    monkeypatch.setattr(loader, "import_batch", original_batch)
    stats = loader.import_records(records)
    assert (stats.created, stats.unchanged) == (len(records) - 50, 50)
    assert Product.objects.count() == len(records)


def write_gz_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_gz_csv(path: Path, limit: int) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(islice(csv.DictReader(handle), limit))


@needs_data
@pytest.mark.django_db
def test_changed_rows_update_their_products(tmp_path: Path) -> None:
    products = read_gz_csv(DATA_DIR / flipkart.PRODUCTS_FILE, 5)
    write_gz_csv(tmp_path / flipkart.PRODUCTS_FILE, products)
    write_gz_csv(tmp_path / flipkart.DETAILS_FILE, read_gz_csv(DATA_DIR / flipkart.DETAILS_FILE, 5))
    run_import("--data-dir", str(tmp_path))
    assert products[0]["uniq_id"] == ALISHA
    assert products[2]["uniq_id"] == AW_BELLIES
    products[0]["discounted_price"] = "349"
    products[2]["product_category_tree"] = '["Jewellery >> Anklets"]'
    write_gz_csv(tmp_path / flipkart.PRODUCTS_FILE, products)
    last_event = OutboxEvent.objects.order_by("-id").first().id

    output = run_import("--data-dir", str(tmp_path))

    assert "0 created, 2 updated, 3 unchanged" in output
    shorts = Product.objects.get(external_id=ALISHA)
    bellies = Product.objects.get(external_id=AW_BELLIES)
    assert shorts.price == Decimal("349")
    assert {(sku.code, sku.is_active) for sku in bellies.skus.all()} == {
        ("SHOEH4GRSUBJGZXE", True),
        *((f"SHOEH4GRSUBJGZXE-UK{size}", False) for size in range(6, 11)),
    }
    events = sorted(
        (event.event_type, json.dumps(event.payload, sort_keys=True))
        for event in OutboxEvent.objects.filter(id__gt=last_event)
    )
    expected = [
        ("catalog.CategoryChanged", {"category_id": bellies.category_id}),
        ("catalog.CategoryChanged", {"category_id": Category.objects.get(name="Jewellery", depth=1).id}),
        (
            "catalog.ProductPriceChanged",
            {"product_id": shorts.id, "sku_id": None, "old_price": "379.00", "new_price": "349", "currency": "INR"},
        ),
        ("catalog.ProductUpdated", {"product_id": bellies.id, "fields": ["category", "skus"]}),
        ("catalog.ProductUpdated", {"product_id": shorts.id, "fields": ["price"]}),
    ]
    assert events == sorted((event_type, json.dumps(payload, sort_keys=True)) for event_type, payload in expected)


@pytest.mark.django_db
def test_missing_files_are_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=flipkart.PRODUCTS_FILE):
        run_import("--data-dir", str(tmp_path))
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_unreadable_or_foreign_files_are_a_command_error(tmp_path: Path) -> None:
    (tmp_path / flipkart.PRODUCTS_FILE).write_text("not gzip")
    write_gz_csv(tmp_path / flipkart.DETAILS_FILE, [{"uniq_id": "1", "description": "", "image": ""}])
    with pytest.raises(CommandError, match="product_specifications"):
        run_import("--data-dir", str(tmp_path))

    write_gz_csv(tmp_path / flipkart.DETAILS_FILE, [dict.fromkeys(flipkart.DETAIL_COLUMNS, "")])
    with pytest.raises(CommandError, match="Cannot read"):
        run_import("--data-dir", str(tmp_path))
    assert table_counts() == dict.fromkeys(table_counts(), 0)


@needs_data
@pytest.mark.django_db
def test_if_empty_skips_a_catalog_that_has_products() -> None:
    run_import("--limit", "10")
    before = table_counts()

    output = run_import("--if-empty")

    assert "nothing imported" in output
    assert table_counts() == before
