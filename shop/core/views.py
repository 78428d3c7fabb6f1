"""Error pages: JSON under /api/, friendly HTML for shoppers everywhere else.

The 500 page is rendered from its template alone, with no request context: whatever broke
(the database, Redis behind the mini cart) must not break the page that says so.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from shop.core.api import error_body, json_404, json_500


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return json_404(request, exception)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return json_500(request)
    return HttpResponseServerError(loader.get_template("500.html").render())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return JsonResponse(error_body("permission_denied", "You may not do that."), status=403)
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return render(request, "400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without its security token: most often a page left open past the session's life."""
    if _api(request):
        return JsonResponse(error_body("csrf_failed", "CSRF check failed; fetch a fresh token."), status=403)
    return render(request, "csrf_failure.html", status=403)


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
