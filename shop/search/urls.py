from django.urls import path

from shop.search import views

app_name = "search"

urlpatterns = [
    path("search/", views.results, name="results"),
    path("search/go/<uuid:query_id>/<id:product_id>/", views.go, name="go"),
]
