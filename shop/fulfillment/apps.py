from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "shop.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment"

    def ready(self) -> None:
        from shop.fulfillment import handlers  # noqa: F401
