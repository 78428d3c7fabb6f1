"""Staff forms for stock movements (used by the admin)."""

from __future__ import annotations

from django import forms

from shop.catalog import services as catalog
from shop.inventory.models import Warehouse
from shop.inventory.stock import MAX_MOVEMENT


class ReceiveForm(forms.Form):
    sku_id = forms.IntegerField(label="SKU id", min_value=1)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    quantity = forms.IntegerField(min_value=1, max_value=MAX_MOVEMENT)
    reason = forms.CharField(max_length=300, initial="Delivery received")
    reference = forms.CharField(max_length=100, required=False, help_text="Delivery note or purchase order number.")

    def clean_sku_id(self) -> int:
        sku_id = self.cleaned_data["sku_id"]
        if catalog.get_sku(sku_id) is None:
            raise forms.ValidationError("There is no SKU with this id in the catalog.")
        return sku_id


class AdjustForm(forms.Form):
    delta = forms.IntegerField(
        label="Change in units",
        min_value=-MAX_MOVEMENT,
        max_value=MAX_MOVEMENT,
        help_text="Positive adds units (found in a count), negative removes them (damaged, lost).",
    )
    reason = forms.CharField(max_length=300, help_text="Recorded in the stock ledger.")

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError("An adjustment changes stock by at least one unit.")
        return delta
