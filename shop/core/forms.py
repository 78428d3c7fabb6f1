"""What every page's form shares with the services behind it."""

from __future__ import annotations

from django import forms

from shop.core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError, *, prefix: str = "") -> None:
    """Shows a service's refusal on the page's form, so a page says what the API would.

    The service checks again what the form already checked (it is the one place the rule lives);
    each message lands on the field it names, after dropping ``prefix`` (the API's nesting), and
    a refusal naming no field of this form shows above the form."""
    if not error.fields:
        form.add_error(None, error.message)
    for name, messages in error.fields.items():
        field = name.removeprefix(prefix)
        form.add_error(field if field in form.fields else None, messages)
