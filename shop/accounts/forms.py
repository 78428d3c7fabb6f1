"""Account forms: they parse and show errors; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from shop.accounts import services
from shop.accounts.models import Address


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.user = services.sign_up(data["email"], data["password"], data.get("name", ""))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


class ProfileForm(forms.Form):
    name = forms.CharField(
        max_length=300, required=False, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="Email or username", max_length=254, widget=forms.TextInput(attrs={"autofocus": True})
    )


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = services.ADDRESS_FIELDS
