from django.urls import path

from shop.reviews import views

app_name = "reviews"

urlpatterns = [
    path("mine/", views.my_reviews, name="mine"),
    path("product/<id:product_id>/", views.product_reviews, name="product"),
    path("product/<id:product_id>/write/", views.write_review, name="write"),
    path("<id:review_id>/edit/", views.edit_review, name="edit"),
    path("<id:review_id>/delete/", views.delete_review, name="delete"),
    path("<id:review_id>/helpful/", views.vote_helpful, name="helpful"),
]
