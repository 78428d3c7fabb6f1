"""Default pricing for the demo store (India, rupees); staff edit these rows in the admin."""

from decimal import Decimal

from django.db import migrations

ZONES = [
    ("in-north", "North India", ["1", "2"]),
    ("in-west", "West India", ["3", "4"]),
    ("in-south", "South India", ["5", "6"]),
    ("in-east", "East India", ["7", "8"]),
]
# option: (base fee, per started kg, free over subtotal, min days, max days)
RATES = {
    "standard": (Decimal("40"), Decimal("20"), Decimal("499"), 3, 6),
    "express": (Decimal("99"), Decimal("40"), None, 1, 2),
}


def add_defaults(apps, schema_editor):
    zone_model = apps.get_model("checkout", "ShippingZone")
    rate_model = apps.get_model("checkout", "ShippingRate")
    tax_model = apps.get_model("checkout", "TaxRate")
    for code, name, prefixes in ZONES:
        zone, _ = zone_model.objects.get_or_create(
            code=code, defaults={"name": name, "country": "IN", "postcode_prefixes": prefixes}
        )
        for option, (base, per_kg, free_over, min_days, max_days) in RATES.items():
            rate_model.objects.get_or_create(
                option=option,
                zone=zone,
                currency="INR",
                defaults={
                    "base_fee": base,
                    "per_kg_fee": per_kg,
                    "free_over": free_over,
                    "min_days": min_days,
                    "max_days": max_days,
                },
            )
    tax_model.objects.get_or_create(
        country="IN", region="", defaults={"name": "GST", "rate": Decimal("0.18"), "applies_to_shipping": True}
    )


class Migration(migrations.Migration):
    dependencies = [("checkout", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
