from django.urls import path

from shop.fulfillment.api import views

urlpatterns = [
    path("fulfillment/carriers/<slug:carrier>/webhook", views.carrier_webhook, name="api-carrier-webhook"),
]
