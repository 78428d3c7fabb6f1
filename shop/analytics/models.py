"""Order flow counters: how many orders made each move, per day (fed by OrderStatusChanged)."""

from django.db import models


class OrderTransitionCount(models.Model):
    day = models.DateField()
    from_status = models.CharField(max_length=30)
    to_status = models.CharField(max_length=30)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "from_status", "to_status"]
        constraints = [
            models.UniqueConstraint(fields=["day", "from_status", "to_status"], name="transition_count_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.from_status or '-'} -> {self.to_status}: {self.count}"
