from django.urls import path

from shop.cart.api import views

urlpatterns = [
    path("cart/", views.CartDetailView.as_view(), name="api-cart"),
    path("cart/items/", views.CartItemsView.as_view(), name="api-cart-items"),
    path("cart/items/<id:sku_id>/", views.CartItemView.as_view(), name="api-cart-item"),
]
