from django.urls import path, re_path

from shop.checkout.api import views

urlpatterns = [
    re_path(r"^checkout/?$", views.CheckoutView.as_view(), name="api-checkout"),
    re_path(r"^checkout/quote/?$", views.QuoteView.as_view(), name="api-checkout-quote"),
    path("checkout/<uuid:checkout_id>", views.CheckoutDetailView.as_view(), name="api-checkout-detail"),
]
