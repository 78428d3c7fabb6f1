"""The search backend in use: PostgreSQL, or Elasticsearch when ``ELASTICSEARCH_URL`` is set.

Both answer the same calls with the same result types; the search documents
in PostgreSQL stay the source every backend is fed from.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from django.conf import settings

from shop.search.params import SearchParams
from shop.search.results import Ranked


class Backend(Protocol):
    name: str
    external: bool  # True when documents must also be pushed to another system

    def search(
        self, params: SearchParams, terms: list[str], *, limit: int, offset: int = 0, fuzzy: bool = False
    ) -> Ranked:
        """Ranked ids ``limit`` from ``offset`` (none if ``limit`` is 0), the total and the facets asked for."""
        ...

    def index(self, product_ids: list[int]) -> None: ...

    def ensure_index(self) -> None: ...

    def delete(self, product_ids: list[int]) -> None: ...


def get_backend() -> Backend:
    return _backend_for(settings.ELASTICSEARCH_URL or "")


@lru_cache(maxsize=4)
def _backend_for(elasticsearch_url: str) -> Backend:
    if elasticsearch_url:
        from shop.search.backends.elastic import ElasticsearchBackend

        return ElasticsearchBackend()
    from shop.search.backends.postgres import PostgresBackend

    return PostgresBackend()
