from django.urls import path

from shop.cart import views

app_name = "cart"

urlpatterns = [
    path("cart/", views.cart_page, name="page"),
    path("cart/add/", views.add, name="add"),
    path("cart/items/<id:sku_id>/", views.update, name="update"),
    path("cart/items/<id:sku_id>/remove/", views.remove, name="remove"),
    path("cart/clear/", views.clear, name="clear"),
]
