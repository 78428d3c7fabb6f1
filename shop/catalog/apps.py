from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from shop.catalog import handlers  # noqa: F401  (registers the catalog's event consumers)
