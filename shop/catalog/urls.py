from django.urls import path

from shop.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<id:category_id>/", views.category, name="category"),
    path("c/<id:category_id>/<str:slug>/", views.category, name="category-slug"),
    path("p/<id:product_id>/", views.product, name="product"),
    path("p/<id:product_id>/<str:slug>/", views.product, name="product-slug"),
    path("catalog/images/<id:product_id>/<int:position>.svg", views.placeholder_image, name="image"),
]
