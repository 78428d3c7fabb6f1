from shop.core.events import subscribe
from tests.probe.events import ProbeHappened
from tests.probe.models import ProbeDelivery


@subscribe(ProbeHappened)
def record_probe(event: ProbeHappened) -> None:
    if event.label.startswith("fail"):
        raise RuntimeError("probe consumer asked to fail")
    ProbeDelivery.objects.create(event_id=event.event_id, label=event.label, amount=event.amount)
