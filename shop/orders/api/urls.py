from django.urls import path

from shop.orders.api import views

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="api-order-list"),
    path("orders/<id:order_id>/", views.OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<id:order_id>/cancel/", views.CancelOrderView.as_view(), name="api-order-cancel"),
    path("orders/<id:order_id>/returns/", views.ReturnsView.as_view(), name="api-order-returns"),
    path(
        "orders/<id:order_id>/returns/<id:return_id>/label",
        views.ReturnLabelView.as_view(),
        name="api-order-return-label",
    ),
]
