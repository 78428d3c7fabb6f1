"""Sign in with an email address (customers) or a username (staff, e.g. ``admin``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or password is None:
            return None
        users = get_user_model()._default_manager
        lookup = {"email__iexact": username} if "@" in username else {"username": username}
        user = users.filter(**lookup).first()
        if user is None:
            users.model().set_password(password)  # as slow as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
