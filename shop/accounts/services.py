"""Accounts' published interface: customers and their saved addresses, as plain values.

The checkout reads a customer's addresses here; sign-up and the address book
write through here so the rules (one default address, a bounded book) hold
for the web pages and the API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shop.accounts.models import Address, User

ADDRESS_FIELDS = ["full_name", "phone", "line1", "line2", "city", "region", "postal_code", "country", "is_default"]


@dataclass(frozen=True)
class UserInfo:
    user_id: int
    email: str
    name: str
    is_active: bool


@dataclass(frozen=True)
class AddressInfo:
    address_id: int
    user_id: int
    full_name: str
    phone: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    is_default: bool


def user_info(user: User) -> UserInfo:
    return UserInfo(user.pk, user.email, user.get_full_name() or user.email, user.is_active)


def get_user(user_id: int) -> UserInfo | None:
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    return user_info(user) if user else None


def get_date_joined(user_id: int) -> datetime | None:
    """When the account was created; None for an unknown (e.g. deleted) account."""
    return get_user_model().objects.filter(id=user_id).values_list("date_joined", flat=True).first()


def _normal_email(email: str) -> str:
    """Emails compare case-insensitively, so they are stored lower-cased."""
    return get_user_model()._default_manager.normalize_email(email).strip().lower()


def _name_parts(name: str) -> tuple[str, str]:
    """(first, last) for Django's user fields: the first word, then the rest."""
    first, _, last = name.strip().partition(" ")
    return first[:150], last.strip()[:150]


EMAIL_EXISTS = "An account with this email address already exists; sign in instead."
EMAIL_TAKEN = "Another account uses this email address."


def sign_up(email: str, password: str, name: str = "") -> User:
    """A new customer, signed in by email; raises ValidationError with field errors."""
    email = _normal_email(email)
    errors: dict[str, list[str]] = {}
    if len(email) > 150:
        errors["email"] = ["Use an email address of at most 150 characters."]
    elif get_user_model()._default_manager.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_EXISTS]
    first, last = _name_parts(name)
    user = get_user_model()(username=email, email=email, first_name=first, last_name=last)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    _save_claiming_email(user, EMAIL_EXISTS)
    return user


@transaction.atomic
def update_profile(user_id: int, name: str, email: str) -> UserInfo:
    """Change a customer's name and email; ValidationError with field errors on a taken or bad email.

    A customer who signed up by email has that email as username too: it moves with
    the email, so the old address is free for a new account and signs nobody in.
    """
    user = get_user_model()._default_manager.select_for_update().get(pk=user_id)
    email = _normal_email(email)
    others = get_user_model()._default_manager.exclude(pk=user_id)
    if others.filter(email__iexact=email).exists() or others.filter(username__iexact=email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})
    if user.username.lower() == user.email.lower():
        user.username = email
    user.email = email
    user.first_name, user.last_name = _name_parts(name)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationError({k if k != "username" else "email": v for k, v in exc.message_dict.items()}) from None
    _save_claiming_email(user, EMAIL_TAKEN, update_fields=["username", "email", "first_name", "last_name"])
    return user_info(user)


def _save_claiming_email(user: User, taken: str, **save: Any) -> None:
    """Saves a user whose email the checks found free. Two requests claiming one address at the
    same moment both pass those checks; the unique indexes let one win, and the other gets the
    form's message instead of an IntegrityError (a 500)."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            user.save(**save)
    except IntegrityError:
        raise ValidationError({"email": [taken]}) from None


def _info(address: Address) -> AddressInfo:
    return AddressInfo(address.pk, address.user_id, *(getattr(address, name) for name in ADDRESS_FIELDS))


def list_addresses(user_id: int) -> list[AddressInfo]:
    return [_info(a) for a in Address.objects.filter(user_id=user_id)[: settings.ACCOUNTS_MAX_ADDRESSES]]


def get_address(user_id: int, address_id: int) -> AddressInfo | None:
    address = Address.objects.filter(user_id=user_id, pk=address_id).first()
    return _info(address) if address else None


def default_address(user_id: int) -> AddressInfo | None:
    address = Address.objects.filter(user_id=user_id).first()  # ordered default first
    return _info(address) if address else None


@transaction.atomic
def save_address(user_id: int, address_id: int | None = None, **fields: Any) -> AddressInfo:
    """Create or update an address of ``user_id``; ValidationError on bad fields.

    The first address becomes the default; making one the default unsets the
    previous one. Raises ``Address.DoesNotExist`` for another customer's address.
    """
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    # Lock the customer's row: concurrent saves of one address book take turns.
    get_user_model()._default_manager.select_for_update().filter(pk=user_id).first()
    if address_id is None:
        count = Address.objects.filter(user_id=user_id).count()
        if count >= settings.ACCOUNTS_MAX_ADDRESSES:
            raise ValidationError(f"An address book holds at most {settings.ACCOUNTS_MAX_ADDRESSES} addresses.")
        address = Address(user_id=user_id, is_default=count == 0)
    else:
        address = Address.objects.get(user_id=user_id, pk=address_id)
    for name, value in fields.items():
        setattr(address, name, value.strip() if isinstance(value, str) else value)
    if isinstance(address.country, str):
        address.country = address.country.upper()
    if address.is_default:
        Address.objects.filter(user_id=user_id, is_default=True).exclude(pk=address.pk).update(is_default=False)
    address.full_clean(exclude=["user"])  # on error the transaction undoes the update above
    address.save()
    return _info(address)


@transaction.atomic
def delete_address(user_id: int, address_id: int) -> bool:
    """Delete one of the customer's addresses; the oldest remaining one becomes the default."""
    address = Address.objects.select_for_update().filter(user_id=user_id, pk=address_id).first()
    if address is None:
        return False
    address.delete()
    if address.is_default:
        successor = Address.objects.filter(user_id=user_id).order_by("id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    return True
