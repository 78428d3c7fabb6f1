"""The built-in simulated warehouse: it picks, packs and hands parcels to the carrier after
configurable delays, and receives returns, so the whole lifecycle runs in development.

Each step is a Celery task (``tasks.sim_warehouse_step``) scheduled with a countdown
(``FULFILLMENT_SIM_PICK_SECONDS``, ``_PACK_SECONDS``, ``_HANDOVER_SECONDS``,
``_RETURN_SECONDS``). With ``FULFILLMENT_SIMULATION_AUTOPLAY`` off, nothing is
scheduled and a test drives the steps itself with :func:`perform`.
"""

from __future__ import annotations

import logging

from django.conf import settings

from shop.fulfillment.warehouses import PickInstruction, ReturnInstruction

log = logging.getLogger(__name__)

GRAMS_PER_UNIT = 450
NEXT = {"pick": "pack", "pack": "handover", "handover": None, "receive_return": None}


def _delay(step: str) -> float:
    return {
        "pick": settings.FULFILLMENT_SIM_PICK_SECONDS,
        "pack": settings.FULFILLMENT_SIM_PACK_SECONDS,
        "handover": settings.FULFILLMENT_SIM_HANDOVER_SECONDS,
        "receive_return": settings.FULFILLMENT_SIM_RETURN_SECONDS,
    }[step]


def schedule(reference: str, step: str) -> None:
    from shop.fulfillment.tasks import sim_warehouse_step

    if settings.FULFILLMENT_SIMULATION_AUTOPLAY:
        sim_warehouse_step.apply_async((reference, step), countdown=_delay(step))


class SimulatedWarehouse:
    code = "simulated"

    def send_pick_instructions(self, instruction: PickInstruction) -> None:
        log.info("simulated warehouse: picking %s (%d lines)", instruction.reference, len(instruction.lines))
        schedule(instruction.reference, "pick")

    def cancel_pick(self, reference: str) -> None:
        log.info("simulated warehouse: %s cancelled; its units go back on the shelves", reference)

    def expect_return(self, instruction: ReturnInstruction) -> None:
        log.info("simulated warehouse: expecting return %s (%s)", instruction.reference, instruction.tracking_number)
        schedule(instruction.reference, "receive_return")


def perform(reference: str, step: str) -> bool:
    """Do one warehouse step through the services a real WMS would call; True if it happened.
    A refusal (the order was cancelled meanwhile) ends the simulation of that parcel."""
    from shop.fulfillment import services

    try:
        if step == "pick":
            services.warehouse_picked(reference)
        elif step == "pack":
            units = services.units_in(reference)
            services.warehouse_packed(reference, weight_grams=max(1, units) * GRAMS_PER_UNIT)
        elif step == "handover":
            services.warehouse_handed_over(reference)
        elif step == "receive_return":
            services.warehouse_received_return(reference)
        else:
            raise ValueError(f"unknown warehouse step {step!r}")
    except services.WarehouseReportRefused as refused:
        log.info("simulated warehouse: %s %s refused: %s", reference, step, refused.message)
        return False
    follow = NEXT[step]
    if follow:
        schedule(reference, follow)
    return True
