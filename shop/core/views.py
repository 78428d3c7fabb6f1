"""Error pages: JSON under /api/, friendly HTML for shoppers everywhere else."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shop.core.api import json_404, json_500


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_404(request, exception)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_500(request)
    return render(request, "500.html", status=500)


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
