from django.urls import path

from shop.reviews.api import views

urlpatterns = [
    path("products/<id:product_id>/reviews/", views.ProductReviewsView.as_view(), name="api-product-reviews"),
    path(
        "products/<id:product_id>/reviews/summary/",
        views.ProductRatingSummaryView.as_view(),
        name="api-product-review-summary",
    ),
    path("reviews/mine/", views.MyReviewsView.as_view(), name="api-my-reviews"),
    path("reviews/<id:review_id>/", views.ReviewDetailView.as_view(), name="api-review-detail"),
    path("reviews/<id:review_id>/vote/", views.ReviewVoteView.as_view(), name="api-review-vote"),
]
