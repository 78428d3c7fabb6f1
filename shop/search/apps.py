from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "shop.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from shop.search import handlers  # noqa: F401  (registers the search projection's event consumers)
