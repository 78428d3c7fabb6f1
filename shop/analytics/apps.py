from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "shop.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from shop.analytics import handlers  # noqa: F401
