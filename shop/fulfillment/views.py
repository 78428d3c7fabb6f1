"""The public tracking page a shipping email links to (the simulated carrier's "tracking site").
It shows the parcel's journey only: no names, addresses or order contents."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shop.fulfillment import services


@require_safe
def track(request: HttpRequest, tracking_number: str) -> HttpResponse:
    shipment = services.track(tracking_number.upper())
    if shipment is None:
        raise Http404("No parcel with that tracking number")
    return render(request, "fulfillment/track.html", {"shipment": shipment})
