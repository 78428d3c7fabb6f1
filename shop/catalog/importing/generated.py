"""Values the Flipkart data lacks, generated deterministically.

The sample has no rating counts, weights, dimensions or size variants, but
shipping quotes, "featured" sorting and variant pickers need them. Each value is
derived from a hash of the product's ``uniq_id`` (never from ``random``), so
every import of the same data produces the same catalog and a re-run changes
nothing. docs/demo-data.md documents the rules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple


class Profile(NamedTuple):
    """Typical shipping weight (grams) and parcel size (mm) of a top-level category."""

    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int


DEFAULT_PROFILE = Profile(500, 300, 200, 100)
PROFILES: dict[str, Profile] = {
    "Automotive": Profile(900, 400, 300, 150),
    "Baby Care": Profile(400, 300, 250, 150),
    "Bags, Wallets & Belts": Profile(600, 400, 300, 150),
    "Beauty and Personal Care": Profile(250, 150, 80, 60),
    "Cameras & Accessories": Profile(500, 250, 180, 120),
    "Clothing": Profile(300, 300, 250, 30),
    "Computers": Profile(600, 300, 220, 80),
    "Footwear": Profile(800, 330, 220, 120),
    "Furniture": Profile(15000, 1200, 600, 500),
    "Home Decor & Festive Needs": Profile(700, 300, 250, 200),
    "Home Furnishing": Profile(1200, 450, 350, 100),
    "Jewellery": Profile(50, 100, 80, 40),
    "Kitchen & Dining": Profile(900, 300, 250, 200),
    "Mobiles & Accessories": Profile(150, 180, 100, 40),
    "Pens & Stationery": Profile(200, 250, 180, 40),
    "Sports & Fitness": Profile(1000, 500, 300, 200),
    "Tools & Hardware": Profile(1500, 400, 250, 150),
    "Toys & School Supplies": Profile(500, 300, 250, 150),
    "Watches": Profile(200, 120, 100, 80),
}

# Size runs for the categories where shoppers pick a size; every product gets the whole run.
SIZE_RUNS: dict[str, tuple[str, ...]] = {
    "Clothing": ("S", "M", "L", "XL"),
    "Footwear": ("UK 6", "UK 7", "UK 8", "UK 9", "UK 10"),
}
JITTER = 0.25  # each generated weight or dimension is its profile value ± 25 %
SIZE_WEIGHT_STEP = 0.05  # each size up weighs 5 % more
RATING_COUNT_MAX = 1500


@dataclass(frozen=True)
class SkuSpec:
    code: str
    variant_attributes: dict[str, Any]
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int
    position: int


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) determined by ``parts`` alone (unlike ``hash()``, the same in every process)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def rating_count(external_id: str) -> int:
    """How many ratings a rated product has: 1 to 1,500, skewed low (median about 95) like real stores."""
    return 1 + int(RATING_COUNT_MAX * stable_fraction("rating_count", external_id) ** 4)


def sku_specs(sku_code: str, external_id: str, top_category: str) -> list[SkuSpec]:
    """The SKUs of a product: one per size for sized categories (``<pid>-M``), else one (``<pid>``)."""
    base = _jittered(PROFILES.get(top_category, DEFAULT_PROFILE), external_id)
    sizes = SIZE_RUNS.get(top_category)
    if not sizes:
        return [SkuSpec(sku_code, {}, *base, position=0)]
    return [
        SkuSpec(
            code=f"{sku_code}-{size.replace(' ', '')}",
            variant_attributes={"Size": size},
            weight_grams=round(base.weight_grams * (1 + SIZE_WEIGHT_STEP * position)),
            length_mm=base.length_mm,
            width_mm=base.width_mm,
            height_mm=base.height_mm,
            position=position,
        )
        for position, size in enumerate(sizes)
    ]


def _jittered(profile: Profile, external_id: str) -> Profile:
    return Profile(
        *(
            max(1, round(value * (1 - JITTER + 2 * JITTER * stable_fraction(name, external_id))))
            for name, value in profile._asdict().items()
        )
    )
