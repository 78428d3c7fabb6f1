"""``{% load payments %}{% payment_card_fields %}``: the card entry of a form, tokenized in the browser."""

from __future__ import annotations

from typing import Any

from django import template

from shop.payments.browser import processor_config

register = template.Library()


@register.inclusion_tag("payments/_card_fields.html")
def payment_card_fields(field_name: str = "payment_method", error: str = "", legend: str = "Card") -> dict[str, Any]:
    """The card inputs (never submitted: they have no name), a hidden ``field_name`` that receives
    the processor's ``pm_...`` token, and the scripts that fill it on submit."""
    config = processor_config()
    return {
        "field_name": field_name,
        "error": error,
        "legend": legend,
        "publishable_key": config.publishable_key,
        "processor": config.processor,
        "processor_js": config.js_url,
    }
