"""The carriers' webhook endpoint (the body is verified by signature, so no session or CSRF)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.fulfillment import webhooks

MAX_BODY = 64 * 1024


@csrf_exempt
@require_POST
def carrier_webhook(request: HttpRequest, carrier: str) -> JsonResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse(webhooks.error_body("too_large", "The body is too large."), status=413)
    outcome = webhooks.receive(carrier, request.body, request.headers)
    return JsonResponse(outcome.body, status=outcome.status)
