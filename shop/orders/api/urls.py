from django.urls import path

from shop.orders.api import views

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="api-order-list"),
    path("orders/<id:order_id>/", views.OrderDetailView.as_view(), name="api-order-detail"),
]
