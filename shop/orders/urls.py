from django.urls import path

from shop.orders import views

app_name = "orders"

urlpatterns = [
    path("accounts/orders/", views.order_list, name="list"),
    path("accounts/orders/<id:order_id>/", views.order_page, name="detail"),
    path("accounts/returns/", views.return_list, name="returns"),
    path("accounts/orders/<id:order_id>/cancel/", views.cancel, name="cancel"),
    path("accounts/orders/<id:order_id>/return/", views.request_return, name="return"),
    path("accounts/orders/<id:order_id>/returns/<id:return_id>/label.pdf", views.return_label, name="return-label"),
]
