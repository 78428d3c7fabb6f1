"""Accounts API payloads: types and shapes; the rules live in the services and the model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rest_framework import serializers

from shop.accounts.services import AddressInfo, UserInfo


class SignUpSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Email address (or a staff username).")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class AddressSerializer(serializers.Serializer):
    """Shapes only; lengths and formats are the model's validators (services.save_address)."""

    full_name = serializers.CharField(required=True, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    line1 = serializers.CharField(required=True, allow_blank=True)
    line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=True, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=True, allow_blank=True)
    country = serializers.CharField(required=False)
    is_default = serializers.BooleanField(required=False)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class SignedInSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    user = UserSerializer()
    merged_cart_lines = serializers.IntegerField(help_text="Lines of the guest cart (`X-Cart-Token`) merged in.")


class AddressOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    phone = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    is_default = serializers.BooleanField()


def user_body(user: UserInfo) -> dict[str, Any]:
    return {"id": user.user_id, "email": user.email, "name": user.name}


def address_body(address: AddressInfo) -> dict[str, Any]:
    body = asdict(address)
    body["id"] = body.pop("address_id")
    body.pop("user_id")
    return body
