"""Top-level routes: each domain mounts its storefront pages and its API v1 module."""

from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shop.core.api import json_404
from shop.core.converters import IdConverter
from shop.core.views import health

register_converter(IdConverter, "id")

handler404 = "shop.core.views.page_not_found"
handler500 = "shop.core.views.server_error"
handler403 = "shop.core.views.permission_denied"
handler400 = "shop.core.views.bad_request"

api_v1 = [
    path("", include("shop.catalog.api.urls")),
    path("", include("shop.cart.api.urls")),
    path("", include("shop.accounts.api.urls")),
    path("", include("shop.orders.api.urls")),
    path("", include("shop.reviews.api.urls")),
    path("", include("shop.payments.api.urls")),
    path("", include("shop.recs.api.urls")),
    path("", include("shop.fulfillment.api.urls")),
    path("", include("shop.search.api.urls")),
    path("", include("shop.checkout.api.urls")),
    path("", include("shop.support.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", json_404),  # unknown API paths get the JSON error body, even with DEBUG on
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", health, name="health"),
    path("reviews/", include("shop.reviews.urls")),
    path("", include("shop.orders.urls")),
    path("", include("shop.support.urls")),
    path("", include("shop.fulfillment.urls")),
    path("", include("shop.catalog.urls")),
    path("", include("shop.cart.urls")),
    path("", include("shop.accounts.urls")),
    path("", include("shop.search.urls")),
    path("", include("shop.checkout.urls")),
]
