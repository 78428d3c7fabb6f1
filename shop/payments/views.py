"""The processor's webhook endpoint: the raw body is verified before anything is parsed or changed."""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from shop.core.api import error_body
from shop.payments import processor
from shop.payments.webhooks import handle_event

log = logging.getLogger(__name__)


@csrf_exempt  # authenticated by its signature, not by a session
def webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", "POST the processor's events here."), status=405)
    try:
        event = processor.verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except processor.BadSignature as error:
        log.warning("rejected a payments webhook: %s", error)
        return JsonResponse(error_body("invalid_signature", "The webhook signature does not verify."), status=400)
    except ImproperlyConfigured as error:
        log.error("payments webhook: %s", error)
        return JsonResponse(error_body("not_configured", "Webhooks are not configured."), status=503)
    outcome = handle_event(event)
    return JsonResponse({"received": True, "outcome": outcome})
