from django.urls import path

from shop.accounts.api import views

urlpatterns = [
    path("auth/signup/", views.SignUpView.as_view(), name="api-signup"),
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/me/", views.MeView.as_view(), name="api-me"),
    path("addresses/", views.AddressListView.as_view(), name="api-addresses"),
    path("addresses/<id:address_id>/", views.AddressDetailView.as_view(), name="api-address"),
]
