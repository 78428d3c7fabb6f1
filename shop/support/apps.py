from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "shop.support"
    label = "support"
    verbose_name = "Customer service"
