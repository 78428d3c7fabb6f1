"""Fulfillment's Celery tasks: instructions to warehouses, capture at shipment, and the simulators.
Every task is idempotent: the shipment's status decides what still has to happen."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from shop.fulfillment import services, simulated_carrier, simulated_warehouse
from shop.payments import services as payments


@shared_task(bind=True, acks_late=True, max_retries=10)
def dispatch_shipment(self: Any, shipment_id: int) -> bool:
    try:
        return services.dispatch(shipment_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc


@shared_task(bind=True, acks_late=True, max_retries=None)
def ship_shipment(self: Any, shipment_id: int) -> str:
    """Capture and ship; an unavailable processor is retried with the same key, and after
    ``FULFILLMENT_CAPTURE_MAX_RETRIES`` the parcel is held and staff are alerted."""
    try:
        return services.ship(shipment_id)
    except payments.ProcessorUnavailable as exc:
        if self.request.retries >= settings.FULFILLMENT_CAPTURE_MAX_RETRIES:
            services.hold(shipment_id, f"{exc.code}: {exc.message}", new_key_on_retry=False)
            return "on_hold"
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc


@shared_task(bind=True, acks_late=True, max_retries=5)
def sim_warehouse_step(self: Any, reference: str, step: str) -> bool:
    try:
        return simulated_warehouse.perform(reference, step)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from exc


@shared_task(bind=True, acks_late=True, max_retries=8)
def sim_carrier_event(self: Any, tracking_number: str, code: str) -> int:
    """The simulated carrier sends one signed tracking webhook (retried like a carrier would)."""
    try:
        return simulated_carrier.send_event(tracking_number, code)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from exc
