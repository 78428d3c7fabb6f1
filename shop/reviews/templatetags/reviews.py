"""``{% product_reviews product.id %}``: the reviews section of the product page,
rendered from the reviews services so the catalog's view stays free of reviews."""

from __future__ import annotations

from typing import Any

from django import template

from shop.reviews import services
from shop.reviews.forms import ReviewForm

register = template.Library()

SECTION_SIZE = 5


@register.inclusion_tag("reviews/_section.html", takes_context=True)
def product_reviews(context: template.Context, product_id: int) -> dict[str, Any]:
    request = context["request"]
    sort = request.GET.get("review_sort")
    sort = sort if sort in services.SORTS else services.DEFAULT_SORT
    page = services.product_reviews(product_id, sort=sort, size=SECTION_SIZE)
    user = request.user
    signed_in = user.is_authenticated
    mine = services.review_of(user.id, product_id) if signed_in else None
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "product_id": product_id,
        "summary": services.rating_summary(product_id),
        "page": page,
        "sort": sort,
        "sorts": services.SORT_LABELS.items(),
        "mine": mine,
        "voted": services.voted_review_ids(user.id, [r.review_id for r in page.items]) if signed_in else set(),
        "form": ReviewForm() if signed_in and mine is None else None,
    }


@register.filter
def stars(rating: int) -> str:
    """★★★☆☆ for 3 (screen readers get the number from the surrounding label)."""
    rating = max(0, min(5, int(rating)))
    return "★" * rating + "☆" * (5 - rating)
