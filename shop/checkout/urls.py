from django.urls import path

from shop.checkout import views

app_name = "checkout"

urlpatterns = [
    path("checkout/", views.checkout_page, name="page"),
    path("checkout/address/", views.choose_address, name="address"),
    path("checkout/place/", views.place_order, name="place"),
    path("checkout/<uuid:checkout_id>/", views.confirmation, name="confirmation"),
]
