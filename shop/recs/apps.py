from django.apps import AppConfig


class RecsConfig(AppConfig):
    name = "shop.recs"
    label = "recs"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from shop.recs import handlers  # noqa: F401  (registers the recommendations' event consumers)
