"""Cart REST API v1: view, add, change quantity, remove, clear.

Signed-in customers (session or ``Authorization: Token ...``) get their
durable cart. Guests send ``X-Cart-Token``; a guest's first change without one
creates a cart and returns its token in the body and the same header.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.cart import services
from shop.cart.api.serializers import AddItemSerializer, CartSerializer, QuantitySerializer, cart_body
from shop.cart.services import CartOwner, CartView
from shop.cart.web import owner_for_change, owner_of
from shop.core.api import BadRequest
from shop.core.schema import CART_TOKEN_PARAMETER


def _owner(request: Request, *, change: bool) -> tuple[CartOwner, str | None]:
    """The cart's owner and the guest token to report; a bad token is a 400."""
    header = request.headers.get(services.TOKEN_HEADER)
    if header and owner_of(request).is_guest and services.cart_id_from_token(header) is None:
        raise BadRequest(
            "X-Cart-Token is not a token this store issued; drop it to start a new cart.",
            "invalid_cart_token",
            {services.TOKEN_HEADER: ["Invalid token."]},
        )
    if change:
        owner, new_token = owner_for_change(request)
        return owner, new_token or header
    return owner_of(request), header


def _answer(cart: CartView, owner: CartOwner, token: str | None, code: int = status.HTTP_200_OK) -> Response:
    token = token if owner.is_guest else None
    response = Response(cart_body(cart, token), status=code)
    if token:
        response[services.TOKEN_HEADER] = token
    return response


CART_SCHEMA = extend_schema(responses=CartSerializer, parameters=[CART_TOKEN_PARAMETER])


class CartDetailView(APIView):
    @CART_SCHEMA
    def get(self, request: Request) -> Response:
        owner, token = _owner(request, change=False)
        return _answer(services.get_cart(owner), owner, token)

    @extend_schema(responses={200: CartSerializer}, parameters=[CART_TOKEN_PARAMETER])
    def delete(self, request: Request) -> Response:
        owner, token = _owner(request, change=False)
        return _answer(services.clear(owner), owner, token)


class CartItemsView(APIView):
    @extend_schema(request=AddItemSerializer, responses={201: CartSerializer}, parameters=[CART_TOKEN_PARAMETER])
    def post(self, request: Request) -> Response:
        data = _valid(AddItemSerializer, request.data)
        owner, token = _owner(request, change=True)
        cart = services.add_item(owner, data["sku_id"], data["quantity"])
        return _answer(cart, owner, token, status.HTTP_201_CREATED)


class CartItemView(APIView):
    @extend_schema(request=QuantitySerializer, responses=CartSerializer, parameters=[CART_TOKEN_PARAMETER])
    def patch(self, request: Request, sku_id: int) -> Response:
        data = _valid(QuantitySerializer, request.data)
        owner, token = _owner(request, change=False)
        cart = services.set_quantity(owner, sku_id, data["quantity"])
        return _answer(cart, owner, token)

    @extend_schema(responses={200: CartSerializer}, parameters=[CART_TOKEN_PARAMETER])
    def delete(self, request: Request, sku_id: int) -> Response:
        owner, token = _owner(request, change=False)
        cart = services.remove_item(owner, sku_id)
        return _answer(cart, owner, token)


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
