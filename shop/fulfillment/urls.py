from django.urls import path

from shop.fulfillment import views

app_name = "fulfillment"

urlpatterns = [
    path("track/<slug:tracking_number>/", views.track, name="track"),
]
