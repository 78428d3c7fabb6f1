"""Search parameters: one parser for the REST API (strict: a 400 naming the
parameter) and the storefront (lenient: drop what is wrong, tell the shopper).

Every list and number is bounded here, so no request can ask the database for
unbounded work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict

from shop.search import text

SORTS = {
    "relevance": "Relevance",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "rating": "Customer rating",
    "newest": "Newest",
}
DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 1000  # deepest result reachable, like Elasticsearch's max_result_window
MAX_BRANDS = 20
MAX_ATTRIBUTE_KEYS = 10
MAX_VALUES_PER_KEY = 20
MAX_VALUE_CHARS = 200
MAX_CATEGORY_CHARS = 1000
MAX_PRICE = Decimal("10000000000")
ATTRIBUTE_PREFIX = "attr."
FACET_NAMES = ("category", "brand", "price", "rating", "fast_delivery", "in_stock", "attributes")
KNOWN_PARAMS = {
    "q",
    "category",
    "brand",
    "price_min",
    "price_max",
    "rating",
    "fast_delivery",
    "in_stock",
    "sort",
    "page",
    "page_size",
    "spell",
    "facets",
    "format",
}
UNKNOWN_PARAMETER = "Unknown parameter."
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    category: str = ""
    brands: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    rating: int | None = None
    fast_delivery: bool = False
    in_stock: bool = False
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    spell: bool = True
    facets: tuple[str, ...] = FACET_NAMES

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def has_filters(self) -> bool:
        return bool(
            self.category
            or self.brands
            or self.price_min is not None
            or self.price_max is not None
            or self.rating
            or self.fast_delivery
            or self.in_stock
            or self.attributes
        )

    def filters_dict(self) -> dict[str, Any]:
        """The active filters as plain JSON (for the query log; :func:`from_filters` reads it back)."""
        filters: dict[str, Any] = {}
        if self.category:
            filters["category"] = self.category
        if self.brands:
            filters["brand"] = list(self.brands)
        if self.price_min is not None:
            filters["price_min"] = str(self.price_min)
        if self.price_max is not None:
            filters["price_max"] = str(self.price_max)
        if self.rating:
            filters["rating"] = self.rating
        if self.fast_delivery:
            filters["fast_delivery"] = True
        if self.in_stock:
            filters["in_stock"] = True
        if self.attributes:
            filters["attributes"] = {key: list(values) for key, values in self.attributes}
        return filters


def from_filters(query: str, filters: dict) -> SearchParams:
    """The SearchParams a logged search ran with (for re-computing its features)."""
    attributes = tuple(sorted((k, tuple(v)) for k, v in (filters.get("attributes") or {}).items()))
    return SearchParams(
        q=query,
        category=filters.get("category", ""),
        brands=tuple(filters.get("brand", ())),
        price_min=Decimal(filters["price_min"]) if filters.get("price_min") else None,
        price_max=Decimal(filters["price_max"]) if filters.get("price_max") else None,
        rating=filters.get("rating"),
        fast_delivery=bool(filters.get("fast_delivery")),
        in_stock=bool(filters.get("in_stock")),
        attributes=attributes,
        facets=(),
    )


@dataclass
class ParamErrors:
    """What was wrong, per parameter; ``code`` is the first problem's error code."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    code: str = ""

    def add(self, name: str, message: str, code: str = "invalid_parameter") -> None:
        self.fields.setdefault(name, []).append(message)
        self.code = self.code or code

    def __bool__(self) -> bool:
        return bool(self.fields)

    def message(self) -> str:
        name, messages = next(iter(self.fields.items()))
        return f"{name}: {messages[0]}"


def _without_nul(query: QueryDict, errors: ParamErrors) -> QueryDict:
    """NUL characters reported, and dropped: PostgreSQL text cannot hold them (a 500, not a 400)."""
    if not any("\x00" in value for _name, values in query.lists() for value in values):
        return query
    cleaned = QueryDict(mutable=True)
    for name, values in query.lists():
        if any("\x00" in value for value in values):
            errors.add(name, "Must not contain NUL characters.")
        cleaned.setlist(name, [value.replace("\x00", "") for value in values])
    return cleaned


def parse(query: QueryDict, *, require_query: bool = False) -> tuple[SearchParams, ParamErrors]:
    """Read search parameters; bad values are left at their defaults and reported in the errors."""
    errors = ParamErrors()
    for name in query:
        if name not in KNOWN_PARAMS and not name.startswith(ATTRIBUTE_PREFIX):
            errors.add(name, UNKNOWN_PARAMETER, "unknown_parameter")
    query = _without_nul(query, errors)

    raw_q = query.get("q", "")
    if len(raw_q) > text.MAX_QUERY_CHARS:
        errors.add("q", f"Must be at most {text.MAX_QUERY_CHARS} characters.", "query_too_long")
    q = text.clean(raw_q)

    category = query.get("category", "").strip()
    if len(category) > MAX_CATEGORY_CHARS:
        errors.add("category", "Too long.")
        category = ""

    brands = _bounded_list(query.getlist("brand"), "brand", MAX_BRANDS, errors)
    price_min = _price(query.get("price_min"), "price_min", errors)
    price_max = _price(query.get("price_max"), "price_max", errors)
    if price_min is not None and price_max is not None and price_min > price_max:
        errors.add("price_max", "Must not be below price_min.")
        price_max = None
    rating = _int(query.get("rating"), "rating", 1, 5, errors)
    fast_delivery = _bool(query.get("fast_delivery"), "fast_delivery", errors)
    in_stock = _bool(query.get("in_stock"), "in_stock", errors)
    spell = _bool(query.get("spell", "1"), "spell", errors)
    attributes = _attributes(query, errors)

    sort = query.get("sort") or "relevance"
    if sort not in SORTS:
        errors.add("sort", f"Must be one of: {', '.join(SORTS)}.")
        sort = "relevance"
    page_size = _int(query.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, errors) or DEFAULT_PAGE_SIZE
    max_page = max(1, MAX_RESULT_WINDOW // page_size)
    page = _int(query.get("page"), "page", 1, max_page, errors) or 1

    facets = FACET_NAMES
    if query.get("facets"):
        asked = tuple(dict.fromkeys(name.strip() for name in query["facets"].split(",") if name.strip()))
        unknown = [name for name in asked if name not in FACET_NAMES]
        if unknown:
            errors.add(
                "facets",
                f"Unknown facet(s): {', '.join(unknown[:5])}. Known: {', '.join(FACET_NAMES)}.",
                "unknown_facet",
            )
        facets = tuple(name for name in asked if name in FACET_NAMES)

    params = SearchParams(
        q=q,
        category=category,
        brands=brands,
        price_min=price_min,
        price_max=price_max,
        rating=rating,
        fast_delivery=fast_delivery,
        in_stock=in_stock,
        attributes=attributes,
        sort=sort,
        page=page,
        page_size=page_size,
        spell=spell,
        facets=facets,
    )
    if require_query and not text.terms(q) and not params.has_filters:
        errors.add("q", "Type something to search for, or filter by category or brand.", "empty_query")
    return params, errors


def _bounded_list(values: list[str], name: str, limit: int, errors: ParamErrors) -> tuple[str, ...]:
    kept = tuple(dict.fromkeys(value.strip() for value in values if value.strip()))
    if len(kept) > limit:
        errors.add(name, f"At most {limit} values.")
        kept = kept[:limit]
    if any(len(value) > MAX_VALUE_CHARS for value in kept):
        errors.add(name, f"Values must be at most {MAX_VALUE_CHARS} characters.")
        kept = tuple(value for value in kept if len(value) <= MAX_VALUE_CHARS)
    return kept


def _attributes(query: QueryDict, errors: ParamErrors) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for name in query:
        if not name.startswith(ATTRIBUTE_PREFIX):
            continue
        key = name[len(ATTRIBUTE_PREFIX) :].strip()
        if not key or len(key) > MAX_VALUE_CHARS:
            errors.add(name, "Not a valid attribute name.", "unknown_facet")
            continue
        values = _bounded_list(query.getlist(name), name, MAX_VALUES_PER_KEY, errors)
        if values:
            pairs.append((key, values))
    if len(pairs) > MAX_ATTRIBUTE_KEYS:
        errors.add("attr", f"At most {MAX_ATTRIBUTE_KEYS} attribute filters.")
        pairs = pairs[:MAX_ATTRIBUTE_KEYS]
    return tuple(sorted(pairs))


def _price(raw: str | None, name: str, errors: ParamErrors) -> Decimal | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = Decimal(raw.strip()[:40])
    except InvalidOperation:
        errors.add(name, "Must be a number.")
        return None
    if not value.is_finite():
        errors.add(name, "Must be a number.")
        return None
    if value < 0:
        errors.add(name, "Must be zero or more.")
        return None
    if value > MAX_PRICE:
        errors.add(name, f"Must be at most {MAX_PRICE}.")
        return None
    return value.quantize(Decimal("0.01"))


def _int(raw: str | None, name: str, minimum: int, maximum: int, errors: ParamErrors) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip()[:20])
    except ValueError:
        errors.add(name, "Must be an integer.")
        return None
    if not minimum <= value <= maximum:
        errors.add(name, f"Must be between {minimum} and {maximum}.")
        return None
    return value


def _bool(raw: str | None, name: str, errors: ParamErrors) -> bool:
    value = (raw or "").strip().lower()
    if value in TRUE:
        return True
    if value not in FALSE:
        errors.add(name, "Must be 1 or 0.")
    return False
