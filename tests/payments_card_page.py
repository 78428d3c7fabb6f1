"""A test-only page using the card entry include, and the store's own URLs around it.

It records what the browser posted, so a test can prove that only the token reached us.
"""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

RECEIVED: list[dict[str, list[str]]] = []

PAGE = """{% extends "base.html" %}{% load payments %}
{% block title %}Pay{% endblock %}
{% block content %}
<form method="post" action="" id="pay-form">{% csrf_token %}
  {% payment_card_fields %}
  <button type="submit">Pay</button>
</form>
{% endblock %}"""


def card_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        RECEIVED.append(dict(request.POST.lists()))
        return HttpResponse("<!doctype html><title>Received</title><p id='received'>received</p>")
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


urlpatterns = [
    path("test-pay/", card_page),
    path("", include("shop.urls")),
]
