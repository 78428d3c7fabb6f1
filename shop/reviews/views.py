"""Storefront pages for reviews: all reviews of a product, write/edit/delete, helpful
votes, and "my reviews". The product page shows its section through the
``product_reviews`` template tag, so the catalog's view knows nothing of reviews.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from shop.catalog import services as catalog
from shop.core.forms import add_domain_error
from shop.core.keyset import page_or_first
from shop.reviews import services
from shop.reviews.forms import ReviewForm

PAGE_SIZE = 20
PENDING_MESSAGE = (
    "Thank you! Your review is pending: it appears once it has passed our checks, usually within a minute."
)


def _product_or_404(product_id: int) -> catalog.ProductInfo:
    product = catalog.get_products([product_id]).get(product_id)
    if product is None:
        raise Http404("No such product")
    return product


def product_url(product: catalog.ProductInfo) -> str:
    return reverse("catalog:product-slug", args=[product.product_id, product.slug])


@require_safe
def product_reviews(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    sort = request.GET.get("sort") if request.GET.get("sort") in services.SORTS else services.DEFAULT_SORT
    page = page_or_first(
        lambda cursor: services.product_reviews(product_id, sort=sort, cursor=cursor, size=PAGE_SIZE),
        request.GET.get("cursor") or None,
    )
    user_id = request.user.id if request.user.is_authenticated else None
    return render(
        request,
        "reviews/product_reviews.html",
        {
            "product": product,
            "product_url": product_url(product),
            "summary": services.rating_summary(product_id),
            "page": page,
            "sort": sort,
            "sorts": services.SORT_LABELS.items(),
            "voted": services.voted_review_ids(user_id, [r.review_id for r in page.items]) if user_id else set(),
            "mine": services.review_of(user_id, product_id) if user_id else None,
        },
    )


@login_required
def write_review(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    existing = services.review_of(request.user.id, product_id)
    if existing is not None:
        messages.info(request, "You have already reviewed this product; you can edit your review here.")
        return redirect("reviews:edit", existing.review_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_review(
                user_id=request.user.id,
                product_id=product_id,
                author_name=services.display_name(request.user),
                **form.cleaned_data,
            )
        except services.ReviewError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, PENDING_MESSAGE)
            return redirect(product_url(product) + "#reviews")
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/form.html", {"form": form, "product": product, "review": None}, status=status)


@login_required
def edit_review(request: HttpRequest, review_id: int) -> HttpResponse:
    review = services.get_review(review_id, viewer_id=request.user.id)
    if review is None or review.user_id != request.user.id:
        raise Http404("No such review")
    product = _product_or_404(review.product_id)
    initial = {"rating": review.rating, "title": review.title, "body": review.body}
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_review(review_id=review_id, user_id=request.user.id, **form.cleaned_data)
        except services.ReviewError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, PENDING_MESSAGE)
            return redirect("reviews:mine")
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/form.html", {"form": form, "product": product, "review": review}, status=status)


@login_required
@require_POST
def delete_review(request: HttpRequest, review_id: int) -> HttpResponse:
    try:
        services.delete_review(review_id=review_id, user_id=request.user.id)
    except services.ReviewNotFound:
        raise Http404("No such review") from None
    messages.success(request, "Your review was deleted.")
    return redirect("reviews:mine")


@login_required
@require_POST
def vote_helpful(request: HttpRequest, review_id: int) -> HttpResponse:
    try:
        if request.POST.get("action") == "unvote":
            services.unvote_helpful(review_id=review_id, user_id=request.user.id)
        else:
            services.vote_helpful(review_id=review_id, user_id=request.user.id)
            messages.success(request, "Thank you for your feedback.")
    except services.ReviewNotFound:
        raise Http404("No such review") from None
    except services.ReviewError as error:
        messages.error(request, error.message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("reviews:mine")
    return redirect(target)


@login_required
@require_safe
def my_reviews(request: HttpRequest) -> HttpResponse:
    page = page_or_first(
        lambda cursor: services.user_reviews(request.user.id, cursor=cursor, size=PAGE_SIZE),
        request.GET.get("cursor") or None,
    )
    products = catalog.get_products(review.product_id for review in page.items)
    rows = []
    for review in page.items:
        product = products.get(review.product_id)
        rows.append((review, product, product_url(product) if product else None))
    return render(request, "reviews/mine.html", {"rows": rows, "page": page})
