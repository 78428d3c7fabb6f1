from django.urls import path

from shop.support.api import views

urlpatterns = [
    path("support/categories/", views.CategoriesView.as_view(), name="api-support-categories"),
    path("support/tickets/", views.TicketListView.as_view(), name="api-support-tickets"),
    path("support/tickets/<id:ticket_id>/", views.TicketDetailView.as_view(), name="api-support-ticket"),
    path(
        "support/tickets/<id:ticket_id>/messages/",
        views.TicketMessagesView.as_view(),
        name="api-support-ticket-messages",
    ),
    path(
        "support/tickets/<id:ticket_id>/resolve/", views.TicketResolveView.as_view(), name="api-support-ticket-resolve"
    ),
]
