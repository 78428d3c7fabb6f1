"""Reading and cleaning the Flipkart product sample (``SHARED_DATA_DIR/flipkart_products``).

Everything here is pure (no database): the files are turned into
:class:`ProductRecord` values that ``loader`` can write as they are. The quirks
handled are the ones the data's README describes: category paths whose deepest
levels are brand or product names, a ``brand`` column shifted by one in some
rows (it then holds a colour or a fit), prices missing in 78 rows, and details
(description, specifications, images) only for the first 999 products.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice, pairwise
from pathlib import Path

from shop.catalog.importing import generated

PRODUCTS_FILE = "flipkart_products_20k.csv.gz"
DETAILS_FILE = "flipkart_products_full_first999.csv.gz"
CURRENCY = "INR"
PRODUCT_COLUMNS = frozenset(
    {
        "uniq_id",
        "pid",
        "product_name",
        "product_category_tree",
        "retail_price",
        "discounted_price",
        "brand",
        "product_rating",
        "is_FK_Advantage_product",
    }
)
DETAIL_COLUMNS = frozenset({"uniq_id", "description", "product_specifications", "image"})

# Products whose whole "tree" is their own name land here rather than in a guessed category.
OTHER_CATEGORY = "Other"
# Deeper levels are folded into their ancestor: five levels are plenty for a storefront menu.
MAX_CATEGORY_DEPTH = 5
TRUNCATION_MARK = "..."

_SPEC_ENTRY = re.compile(r'"key"=>"([^"]*)", "value"=>"([^"]*)"')
_IMAGE_URL = re.compile(r'"(https?://[^"]+)"')
_PRICE = re.compile(r"\d+(?:\.\d+)?")
_RATING = re.compile(r"[0-5](?:\.\d+)?")
_WHITESPACE = re.compile(r"\s+")
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ProductRecord:
    """One cleaned product, ready to be written; ``sku_code`` is the de-duplicated pid."""

    external_id: str
    sku_code: str
    name: str
    category_path: tuple[str, ...]
    brand: str
    price: Decimal
    list_price: Decimal | None
    fast_delivery: bool
    rating_avg: Decimal
    rating_count: int
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    image_urls: tuple[str, ...] = ()


class DataError(ValueError):
    """The files are not the Flipkart sample this importer knows (unreadable, or columns missing)."""


@dataclass(frozen=True)
class ReadResult:
    records: list[ProductRecord]
    skipped_no_price: int


def missing_files(data_dir: Path) -> list[Path]:
    return [data_dir / name for name in (PRODUCTS_FILE, DETAILS_FILE) if not (data_dir / name).is_file()]


def read_records(data_dir: Path, limit: int | None = None) -> ReadResult:
    """The first ``limit`` rows of the 20k file (all if None), joined with their details by ``uniq_id``.

    Rows without any price are skipped: a product without a price cannot be sold. Everything is read
    before anything is written, so a damaged file raises :class:`DataError` without a half import.
    """
    try:
        details = {row["uniq_id"]: row for row in _read_csv(data_dir / DETAILS_FILE, DETAIL_COLUMNS)}
        rows = list(islice(_read_csv(data_dir / PRODUCTS_FILE, PRODUCT_COLUMNS), limit))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"Cannot read the Flipkart data in {data_dir}: {exc}") from exc
    records: list[ProductRecord] = []
    seen_pids: set[str] = set()
    for row in rows:
        record = clean_row(row, details.get(row["uniq_id"]), dedupe_sku_code(row["pid"], row["uniq_id"], seen_pids))
        if record is not None:
            records.append(record)
    return ReadResult(records=records, skipped_no_price=len(rows) - len(records))


def _read_csv(path: Path, columns: frozenset[str]) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = columns - set(reader.fieldnames or ())
        if missing:
            raise DataError(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}")
        yield from reader


def dedupe_sku_code(pid: str, uniq_id: str, seen: set[str]) -> str:
    """The pid, or for a repeated pid ``<pid>-<uniq_id prefix>``: SKU codes are unique.

    The first occurrence in file order keeps the plain pid, so ``--limit`` runs
    (which read a prefix of the file) agree with full runs.
    """
    pid = pid.strip()
    code = f"{pid}-{uniq_id[:8]}" if pid in seen else pid
    seen.add(code)
    return code


def clean_row(row: dict[str, str], details: dict[str, str] | None, sku_code: str) -> ProductRecord | None:
    """Turn one row of the 20k file (plus its row of the 999 file, if any) into a record; None if unpriced."""
    retail = parse_price(row["retail_price"])
    discounted = parse_price(row["discounted_price"])
    price = discounted if discounted is not None else retail
    if price is None:
        return None
    name = normalize_space(row["product_name"])
    specs = parse_specifications(details["product_specifications"]) if details else {}
    tree = row["product_category_tree"]
    brand = resolve_brand(name, row["brand"], specs.pop("Brand", ""), tree)
    rating = parse_rating(row["product_rating"])
    return ProductRecord(
        external_id=row["uniq_id"],
        sku_code=sku_code,
        name=name,
        category_path=clean_category_path(tree, name, brand),
        brand=brand,
        price=price,
        list_price=retail if retail is not None and retail > price else None,
        fast_delivery=row["is_FK_Advantage_product"].strip().upper() == "TRUE",
        rating_avg=rating,
        rating_count=generated.rating_count(row["uniq_id"]) if rating else 0,
        description=details["description"].strip() if details else "",
        attributes=specs,
        image_urls=parse_image_urls(details["image"]) if details else (),
    )


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (the names contain double and non-breaking spaces)."""
    return _WHITESPACE.sub(" ", text).strip()


def split_category_tree(tree: str) -> list[str]:
    """``["A >> B >> C"]`` → ``["A", "B", "C"]`` (empty levels dropped)."""
    text = tree.strip().removeprefix('["').removesuffix('"]')
    return [level for level in (normalize_space(part) for part in text.split(">>")) if level]


def clean_category_path(tree: str, product_name: str, brand: str) -> tuple[str, ...]:
    """The category levels of ``tree`` that are real categories, at most ``MAX_CATEGORY_DEPTH`` of them.

    The path is cut at the first level that names the product rather than a
    category (see :func:`is_product_level`); a path with nothing left (the
    one-element "trees" that are just the product name) becomes ``("Other",)``.
    """
    kept: list[str] = []
    for level in split_category_tree(tree):
        if is_product_level(level, kept[-1] if kept else "", product_name, brand):
            break
        kept.append(level)
    return tuple(kept[:MAX_CATEGORY_DEPTH]) or (OTHER_CATEGORY,)


def is_product_level(level: str, parent: str, product_name: str, brand: str) -> bool:
    """Whether a level of the source path is a product or brand name rather than a category.

    True for a level cut off with ``...`` (only long product names are), one
    that is the product name or extends it ("Sumo Baby Walker (Red)"), one that
    is a prefix of the product name, one that starts with the brand, and one
    that is "<name prefix> <parent>" ("Alisha Shorts" under "Shorts" for
    "Alisha Solid Women's Cycling Shorts": the brand's shelf in that category).
    """
    if level.endswith(TRUNCATION_MARK):
        return True
    if starts_with_words(level, product_name) or starts_with_words(product_name, level):
        return True
    if brand and starts_with_words(level, brand):
        return True
    shelf_brand = shelf_prefix(level, parent)
    return bool(shelf_brand) and starts_with_words(product_name, shelf_brand)


def shelf_prefix(level: str, parent: str) -> str:
    """ "Alisha" for the level "Alisha Shorts" under "Shorts"; "" if the level does not end with its parent."""
    suffix = f" {parent}"
    if parent and len(level) > len(suffix) and level.casefold().endswith(suffix.casefold()):
        return level[: -len(suffix)]
    return ""


def starts_with_words(text: str, prefix: str) -> bool:
    """Case-insensitive prefix test that stops at a word boundary ("Jewellery" is no prefix of "Jewellerywale")."""
    folded, folded_prefix = text.casefold(), prefix.casefold()
    if not folded_prefix or not folded.startswith(folded_prefix):
        return False
    return len(folded) == len(folded_prefix) or not folded[len(folded_prefix)].isalnum()


def brand_from_path(tree: str, product_name: str) -> str:
    """The brand implied by a "<brand> <parent>" level of the path ("Nucode T-Shirts" under "T-Shirts")."""
    for parent, level in pairwise(split_category_tree(tree)):
        prefix = shelf_prefix(level, parent)
        if prefix and starts_with_words(product_name, prefix):
            return prefix
    return ""


def resolve_brand(product_name: str, brand_column: str, spec_brand: str, tree: str) -> str:
    """The product's brand: the ``brand`` column, else the ``Brand`` spec, else the path; "" if unknown.

    The column is trusted only when the product name starts with it: in about
    1,800 rows it is shifted and holds a colour or a fit ("Black", "Slim Fit").
    """
    column = normalize_space(brand_column)
    if column and starts_with_words(product_name, column):
        return column
    return normalize_space(spec_brand) or brand_from_path(tree, product_name)


def parse_specifications(text: str) -> dict[str, str]:
    """The ``key``/``value`` pairs of a ``product_specifications`` cell (a Ruby hash dump, not JSON).

    Entries without a key (free-text notes such as washing instructions) and
    empty values are dropped; for a repeated key the first value wins.
    """
    bag: dict[str, str] = {}
    for key, value in _SPEC_ENTRY.findall(text or ""):
        key, value = normalize_space(key), normalize_space(value)
        if key and value:
            bag.setdefault(key, value)
    return bag


def parse_image_urls(text: str) -> tuple[str, ...]:
    """The URLs of an ``image`` cell (a JSON list), without duplicates, in order."""
    return tuple(dict.fromkeys(_IMAGE_URL.findall(text or "")))


def parse_price(text: str) -> Decimal | None:
    text = (text or "").strip()
    return Decimal(text) if _PRICE.fullmatch(text) else None


def parse_rating(text: str) -> Decimal:
    """A rating such as ``4.5``; 0 for "No rating available" or anything else that isn't one."""
    text = (text or "").strip()
    if not _RATING.fullmatch(text) or Decimal(text) > 5:
        return Decimal("0")
    return Decimal(text).quantize(_CENTS)
