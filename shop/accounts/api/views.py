"""Accounts REST API v1 for the mobile apps: sign up, token sign-in/out, me, addresses.

Sign-in returns a DRF token (``Authorization: Token <key>`` afterwards); a
guest cart named by ``X-Cart-Token`` is merged into the customer's cart.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.accounts import services
from shop.accounts.api.serializers import (
    AddressOutSerializer,
    AddressSerializer,
    CredentialsSerializer,
    SignedInSerializer,
    SignUpSerializer,
    UserSerializer,
    address_body,
    user_body,
)
from shop.accounts.models import Address
from shop.cart import services as cart
from shop.core.api import BadRequest
from shop.core.schema import CART_TOKEN_PARAMETER
from shop.core.throttling import ScopedThrottle

NO_BODY = OpenApiResponse(description="No body.")


def _signed_in(request: Request, user: Any, code: int) -> Response:
    token, _ = Token.objects.get_or_create(user=user)
    merged = cart.merge_guest_cart(request.headers.get(cart.TOKEN_HEADER), user.pk)
    body = {"token": token.key, "user": user_body(services.user_info(user)), "merged_cart_lines": merged}
    return Response(body, status=code)


class SignUpView(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=SignUpSerializer, responses={201: SignedInSerializer}, parameters=[CART_TOKEN_PARAMETER], auth=[]
    )
    def post(self, request: Request) -> Response:
        data = _valid(SignUpSerializer, request.data)
        try:
            user = services.sign_up(data["email"], data["password"], data["name"])
        except ValidationError as exc:
            raise _bad(exc) from None
        return _signed_in(request, user, status.HTTP_201_CREATED)


class TokenView(APIView):
    """POST signs in (a token), DELETE signs out (the token stops working)."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=CredentialsSerializer, responses={200: SignedInSerializer}, parameters=[CART_TOKEN_PARAMETER], auth=[]
    )
    def post(self, request: Request) -> Response:
        data = _valid(CredentialsSerializer, request.data)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise BadRequest("The email address or password is wrong.", "invalid_credentials")
        return _signed_in(request, user, status.HTTP_200_OK)

    @extend_schema(responses={204: NO_BODY})
    def delete(self, request: Request) -> Response:
        if request.user is None or not request.user.is_authenticated:
            return Response(status=status.HTTP_204_NO_CONTENT)
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(user_body(services.user_info(request.user)))


class AddressListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer("AddressList", {"results": AddressOutSerializer(many=True)}),
        description="Every saved address (a customer has at most `ACCOUNTS_MAX_ADDRESSES`, so no pages).",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [address_body(a) for a in services.list_addresses(request.user.pk)]})

    @extend_schema(request=AddressSerializer, responses={201: AddressOutSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(AddressSerializer, request.data)
        try:
            address = services.save_address(request.user.pk, None, **data)
        except ValidationError as exc:
            raise _bad(exc) from None
        return Response(address_body(address), status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AddressOutSerializer)
    def get(self, request: Request, address_id: int) -> Response:
        address = services.get_address(request.user.pk, address_id)
        if address is None:
            raise NotFound("No such address.")
        return Response(address_body(address))

    @extend_schema(request=AddressSerializer, responses=AddressOutSerializer)
    def patch(self, request: Request, address_id: int) -> Response:
        serializer = AddressSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            address = services.save_address(request.user.pk, address_id, **serializer.validated_data)
        except Address.DoesNotExist:
            raise NotFound("No such address.") from None
        except ValidationError as exc:
            raise _bad(exc) from None
        return Response(address_body(address))

    @extend_schema(responses={204: NO_BODY})
    def delete(self, request: Request, address_id: int) -> Response:
        if not services.delete_address(request.user.pk, address_id):
            raise NotFound("No such address.")
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _bad(exc: ValidationError) -> BadRequest:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    first_field, first_errors = next(iter(fields.items()))
    message = first_errors[0] if first_field == "non_field_errors" else f"{first_field}: {first_errors[0]}"
    return BadRequest(message, "invalid", fields)
