from dataclasses import dataclass
from decimal import Decimal

from shop.core.events import Event


@dataclass(frozen=True)
class ProbeHappened(Event):
    event_type = "probe.ProbeHappened"
    label: str
    amount: Decimal = Decimal("0")
