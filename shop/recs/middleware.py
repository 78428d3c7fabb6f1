"""The visitor id: who a guest is, across page views, for live context and the log.

A random id in the ``shop_vid`` cookie (``RECS_VISITOR_COOKIE``; HttpOnly,
SameSite=Lax, a year), assigned on first use (recording a view), not on every
response. Apps without cookies send it as ``X-Visitor-Id`` and get a new one
back in that response header. It is not the Django session key: that changes
at sign-in (so it could not link a guest's browsing to the customer) and
creating it costs a session row per guest.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shop.cart import services as cart
from shop.recs.context import Visitor

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HEADER = "X-Visitor-Id"
COOKIE_MAX_AGE = 365 * 86400


class VisitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.COOKIES.get(settings.RECS_VISITOR_COOKIE) or request.headers.get(HEADER) or ""
        request.recs_visitor_id = raw if VISITOR_ID.match(raw) else ""
        request.recs_visitor_assigned = False
        response = self.get_response(request)
        if request.recs_visitor_assigned:
            response.set_cookie(
                settings.RECS_VISITOR_COOKIE,
                request.recs_visitor_id,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            response[HEADER] = request.recs_visitor_id
        return response


def visitor_for(request: Any, *, assign: bool = False) -> Visitor:
    """The visitor making ``request`` (a Django or DRF request); ``assign`` gives a guest an id."""
    http = getattr(request, "_request", request)  # DRF wraps the HttpRequest the middleware saw
    session_id = getattr(http, "recs_visitor_id", "")
    if not session_id and assign:
        session_id = secrets.token_urlsafe(18)
        http.recs_visitor_id = session_id
        http.recs_visitor_assigned = True
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    cart_id = "" if user_id or http is None else cart.cart_id_from_token(cart.token_from_request(http)) or ""
    return Visitor(user_id=user_id, session_id=session_id, cart_id=cart_id)
