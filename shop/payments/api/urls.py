from django.urls import path

from shop.payments import views
from shop.payments.api.views import PaymentConfigView

urlpatterns = [
    path("payments/config", PaymentConfigView.as_view(), name="api-payments-config"),
    path("payments/webhook", views.WebhookView.as_view(), name="api-payments-webhook"),
]
