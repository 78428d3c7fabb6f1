from django.urls import path

from shop.fulfillment.api import views

urlpatterns = [
    path("fulfillment/carriers/<slug:carrier>/webhook", views.CarrierWebhookView.as_view(), name="api-carrier-webhook"),
]
