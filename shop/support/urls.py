from django.urls import path

from shop.support import views

app_name = "support"

urlpatterns = [
    path("accounts/support/", views.ticket_list, name="list"),
    path("accounts/support/new/", views.new_ticket, name="new"),
    path("accounts/support/<id:ticket_id>/", views.ticket_page, name="detail"),
    path("accounts/support/<id:ticket_id>/resolve/", views.resolve, name="resolve"),
]
