"""What a search returns, as plain frozen dataclasses shared by every backend,
the API and the storefront."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Hit:
    product_id: int
    name: str
    slug: str
    brand: str
    category_path: list[str]
    price: Decimal
    list_price: Decimal | None
    currency: str
    rating_avg: Decimal
    rating_count: int
    fast_delivery: bool
    availability: str
    position: int = 0


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    # For ranges: the bounds to filter on.
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Facet:
    name: str  # "category", "brand", "price", "rating", "fast_delivery", "in_stock", or "attr.<key>"
    label: str
    kind: str  # "tree" | "terms" | "range" | "threshold" | "toggle"
    values: list[FacetValue] = field(default_factory=list)


@dataclass(frozen=True)
class Ranked:
    """A backend's answer: ranked product ids for the asked window, the total and the facets."""

    ids: list[int]
    scores: list[float]
    total: int
    facets: list[Facet]
    # How many products have (nearly) all the words; 0 means the query only matched loosely or not at all.
    strict_total: int = 0


@dataclass(frozen=True)
class SearchResult:
    query: str
    effective_query: str  # what was actually searched (the correction after an automatic retry)
    did_you_mean: str | None  # a better-spelled query, if we know one
    auto_corrected: bool  # the original found nothing, these are the correction's results
    fuzzy: bool  # nothing matched the words; these are similar-looking names
    total: int
    page: int
    page_size: int
    hits: list[Hit]
    facets: list[Facet]
    query_id: str | None = None
    ranker_version: int | None = None

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class Suggestion:
    kind: str
    text: str
    params: dict[str, str]
