"""Where the browser (or an app) sends card details: Stripe, or the local emulator."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"


@dataclass(frozen=True)
class ProcessorConfig:
    processor: str  # "stripe" | "emulator"
    publishable_key: str
    api_base: str
    js_url: str


def processor_config() -> ProcessorConfig:
    base = settings.STRIPE_API_BASE.rstrip("/")
    if not base:
        return ProcessorConfig("stripe", settings.STRIPE_PUBLISHABLE_KEY, STRIPE_API, STRIPE_JS)
    return ProcessorConfig("emulator", settings.STRIPE_PUBLISHABLE_KEY, base, f"{base}/js/stripe-emulator.js")
