from django.urls import path

from shop.recs.api import views

urlpatterns = [
    path("recs/for-you/", views.ForYouView.as_view(), name="api-recs-for-you"),
    path("recs/products/<id:product_id>/also-bought/", views.AlsoBoughtView.as_view(), name="api-recs-also-bought"),
    path("recs/cart/", views.CartView.as_view(), name="api-recs-cart"),
    path("recs/views/", views.ViewBeaconView.as_view(), name="api-recs-views"),
]
