"""Storefront widgets as inclusion tags, so any page can show recommendations without a view change.

    {% load recs %}
    {% recs_for_you %}                        home page: "Recommended for you"
    {% recs_for_product product.id %}         product page: records the view, "Customers who bought this also bought"
    {% recs_for_cart cart.items %}            cart page: "Related to items in your cart"

Each renders nothing when there is nothing to show; none of them can break the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django import template

from shop.recs import interactions, serving
from shop.recs.middleware import visitor_for
from shop.recs.serving import Recommendations

log = logging.getLogger(__name__)
register = template.Library()

WIDGET = "recs/_widget.html"
DEFAULT_LIMIT = 8
TITLES = {
    "for-you": {serving.PERSONAL: "Recommended for you", serving.RELATED: "Inspired by your browsing"},
    "product": {serving.RELATED: "Customers who bought this also bought"},
    "cart": {serving.CART: "Related to items in your cart"},
}
FALLBACK_TITLE = {"for-you": "Popular with customers", "product": "You might also like", "cart": "You might also like"}


def _widget(name: str, recs: Recommendations) -> dict[str, Any]:
    title = TITLES[name].get(recs.source, FALLBACK_TITLE[name])
    return {"widget": name, "title": title, "items": recs.items, "source": recs.source}


@register.inclusion_tag(WIDGET, takes_context=True)
def recs_for_you(context: template.Context, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    visitor = visitor_for(context.get("request"))
    return _widget("for-you", serving.recommended_for(visitor, limit=limit))


@register.inclusion_tag(WIDGET, takes_context=True)
def recs_for_product(context: template.Context, product_id: int, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Also records the view: the product page is where views happen, and the catalog need not know."""
    request = context.get("request")
    visitor = visitor_for(request, assign=request is not None)
    if visitor.session_id or visitor.user_id:
        try:
            interactions.buffer_view(int(product_id), visitor)
        except Exception:
            log.exception("recs: could not record a view of product %s", product_id)
    return _widget("product", serving.also_bought(int(product_id), visitor, limit=limit))


@register.inclusion_tag(WIDGET, takes_context=True)
def recs_for_cart(
    context: template.Context, items: Iterable[Any] | None = None, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """``items``: what is in the cart, as product ids or objects with a ``product_id`` (the
    cart's items); the visitor's recorded cart when omitted."""
    visitor = visitor_for(context.get("request"))
    ids = [int(getattr(item, "product_id", item)) for item in items or []]
    return _widget("cart", serving.for_cart(ids, visitor, limit=limit))
