"""Default price facet buckets for the store's currencies (staff edit them in the admin)."""

from decimal import Decimal

from django.db import migrations

BUCKETS = {
    "INR": [None, 500, 1000, 2500, 5000, 10000, 25000, 50000, None],
    "USD": [None, 10, 25, 50, 100, 250, 500, 1000, None],
    "EUR": [None, 10, 25, 50, 100, 250, 500, 1000, None],
}


def create(apps, schema_editor):
    PriceRange = apps.get_model("search", "PriceRange")
    for currency, bounds in BUCKETS.items():
        if PriceRange.objects.filter(currency=currency).exists():
            continue
        for position, (low, high) in enumerate(zip(bounds[:-1], bounds[1:])):
            PriceRange.objects.create(
                currency=currency,
                min_price=Decimal(low) if low is not None else None,
                max_price=Decimal(high) if high is not None else None,
                position=position,
            )


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
