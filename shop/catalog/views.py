"""Storefront pages of the catalog: home, category listing, product page.

Bad query parameters on a page fall back to sensible defaults (a shopper who
edits a URL gets a page, not an error); unknown ids are a friendly 404.
"""

from __future__ import annotations

import hashlib
from html import escape

from django.core.cache import cache as django_cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from shop.catalog import cache, queries
from shop.catalog.models import Category, Product
from shop.core.http_cache import current_version
from shop.core.keyset import page_or_first
from shop.inventory import services as inventory
from shop.search import services as search

HOME_FEATURED = 12


def category_url(category: Category) -> str:
    return reverse("catalog:category-slug", args=[category.id, category.slug])


def product_url(product: Product) -> str:
    return reverse("catalog:product-slug", args=[product.id, product.slug])


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    key = f"catalog:home:g{current_version(cache.GENERATION)}"
    context = django_cache.get(key)
    if context is None:
        featured = list(
            Product.objects.filter(is_active=True)
            .select_related("brand")
            .order_by("-rating_count", "-id")[:HOME_FEATURED]
        )
        context = {"categories": queries.top_categories(), "featured": featured}
        django_cache.set(key, context, 600)
    return render(request, "catalog/home.html", context)


@require_safe
def category(request: HttpRequest, category_id: int, slug: str | None = None) -> HttpResponse:
    node = Category.objects.filter(id=category_id, is_active=True).first()
    if node is None:
        raise Http404("No such category")
    if slug != node.slug:
        return redirect(category_url(node) + (f"?{request.GET.urlencode()}" if request.GET else ""), permanent=True)
    sort = request.GET.get("sort", "featured")
    if sort not in queries.SORTS:
        sort = "featured"
    listing = page_or_first(
        lambda cursor: queries.product_listing(
            category=node, brand_id=None, sort=sort, cursor=cursor, size=queries.DEFAULT_PAGE_SIZE
        ),
        request.GET.get("cursor"),
    )
    children = Category.objects.get_children(node).filter(is_active=True)
    path = queries.breadcrumbs(node)
    return render(
        request,
        "catalog/category.html",
        {
            "category": node,
            "breadcrumbs": path[:-1],
            "filter_url": search.category_results_url([crumb.name for crumb in path]),
            "children": children,
            "listing": listing,
            "products": listing.page.items,
            "sort": sort,
            "sorts": queries.SORT_LABELS.items(),
        },
    )


@require_safe
def product(request: HttpRequest, product_id: int, slug: str | None = None) -> HttpResponse:
    try:
        item = queries.product_with_details(product_id)
    except Product.DoesNotExist:
        raise Http404("No such product") from None
    if slug != item.slug:
        return redirect(product_url(item), permanent=True)
    skus = list(item.skus.all())
    stock = inventory.stock_of(sku.id for sku in skus)
    for sku in skus:
        sku.stock_label = stock_label(stock[sku.id])
        sku.in_stock = stock[sku.id].available > 0
    images = list(item.images.all())
    return render(
        request,
        "catalog/product.html",
        {
            "product": item,
            "breadcrumbs": queries.breadcrumbs(item.category),
            "skus": skus,
            "images": images,
            "variant_options": queries.variant_options(skus),
            "attributes": sorted(item.attributes.items()),
        },
    )


def stock_label(stock: inventory.SkuStock) -> str:
    if stock.status == inventory.OUT_OF_STOCK:
        return "Out of stock"
    if stock.status == inventory.LOW_STOCK:
        return f"Only {stock.available} left"
    return "In stock"


PALETTE = ["#264653", "#2a9d8f", "#e76f51", "#6d597a", "#355070", "#b56576", "#457b9d", "#3a5a40"]


@require_safe
@cache_control(public=True, max_age=86400)
def placeholder_image(request: HttpRequest, product_id: int, position: int) -> HttpResponse:
    """A deterministic stand-in picture: the feed's image URLs cannot be fetched offline."""
    name = Product.objects.filter(id=product_id).values_list("name", flat=True).first()
    if name is None:
        raise Http404("No such product")
    digest = hashlib.blake2b(f"{product_id}:{position}".encode(), digest_size=8).digest()
    background = PALETTE[digest[0] % len(PALETTE)]
    initials = "".join(word[0] for word in name.split()[:2] if word[:1].isalnum()).upper() or "?"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img" '
        f'aria-label="{escape(name)}"><rect width="400" height="400" fill="{background}"/>'
        f'<text x="200" y="215" font-family="sans-serif" font-size="120" fill="#fff" text-anchor="middle" '
        f'dominant-baseline="middle">{escape(initials)}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
