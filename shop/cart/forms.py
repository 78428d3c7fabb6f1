"""Storefront cart forms: they parse, the services decide."""

from django import forms


class AddToCartForm(forms.Form):
    sku_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = forms.IntegerField(initial=1)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField()
