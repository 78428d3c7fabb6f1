from django.urls import path

from shop.search.api import views

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("search/facets/", views.FacetsView.as_view(), name="api-search-facets"),
    path("search/suggest/", views.SuggestView.as_view(), name="api-search-suggest"),
    path("search/clicks/", views.ClickView.as_view(), name="api-search-clicks"),
]
