from django.db import models


class ProbeRecord(models.Model):
    """A row the probe's state change writes (the 'business change')."""

    label = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.label


class ProbeDelivery(models.Model):
    """One row per time the probe consumer applied an event."""

    event_id = models.UUIDField()
    label = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.label} {self.event_id}"
