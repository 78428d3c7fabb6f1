"""Customers' idempotency keys moved to shop.core (one store for every unsafe endpoint):
the stored answers are copied across, so a retry during the deploy still replays."""

from django.db import migrations

COPY = """
INSERT INTO core_idempotentrequest (user_id, key, action, request_hash, status_code, response, created_at)
SELECT user_id, key, action, request_hash, status_code, response, created_at FROM orders_idempotentrequest
ON CONFLICT DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_lifecycle_returns_refunds"),
        ("core", "0002_idempotentrequest"),
    ]

    operations = [
        migrations.RunSQL(COPY, migrations.RunSQL.noop),
        migrations.DeleteModel(name="IdempotentRequest"),
    ]
