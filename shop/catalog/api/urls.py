from django.urls import path

from shop.catalog.api import views

urlpatterns = [
    path("categories/", views.CategoryTreeView.as_view(), name="api-category-tree"),
    path("categories/<id:category_id>/", views.CategoryDetailView.as_view(), name="api-category-detail"),
    path("categories/<id:category_id>/products/", views.ProductListView.as_view(), name="api-category-products"),
    path("products/", views.ProductListView.as_view(), name="api-product-list"),
    path("products/<id:product_id>/", views.ProductDetailView.as_view(), name="api-product-detail"),
]
