"""Counting order moves. The increment runs in the consumer's dedup transaction, so a
redelivered event is not counted twice; one upsert statement, so concurrent consumers
never lose a count."""

from django.db import connection

from shop.core.events import subscribe
from shop.orders.events import OrderCreated, OrderStatusChanged

UPSERT = """
INSERT INTO analytics_ordertransitioncount (day, from_status, to_status, count)
VALUES (%s, %s, %s, 1)
ON CONFLICT (day, from_status, to_status) DO UPDATE SET count = analytics_ordertransitioncount.count + 1
"""


@subscribe(OrderCreated)
def count_created(event: OrderCreated) -> None:
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, [event.occurred_at.date(), "", "placed"])


@subscribe(OrderStatusChanged)
def count_transition(event: OrderStatusChanged) -> None:
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, [event.occurred_at.date(), event.from_status, event.to_status])
