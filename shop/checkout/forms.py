"""Checkout page forms: they parse and show errors; ``shop.checkout.services`` holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from shop.accounts.services import AddressInfo

NEW = "new"
ADDRESS_FIELDS = {
    "name": ("Full name", "name"),
    "line1": ("Address line 1", "address-line1"),
    "line2": ("Address line 2", "address-line2"),
    "city": ("City", "address-level2"),
    "region": ("State", "address-level1"),
    "postcode": ("PIN code", "postal-code"),
    "country": ("Country code", "country"),
    "phone": ("Phone", "tel"),
}
OPTIONAL = {"line2", "region", "phone"}


def address_label(address: AddressInfo) -> str:
    parts = [address.full_name, address.line1, address.line2, f"{address.city} {address.postal_code}", address.country]
    return ", ".join(part for part in parts if part)


class AddressForm(forms.Form):
    """A saved address, or a new one typed in (checked by the service, errors shown per field)."""

    address = forms.ChoiceField(widget=forms.RadioSelect, label="Deliver to")

    def __init__(self, *args: Any, saved: list[AddressInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(a.address_id), address_label(a)) for a in saved]
        self.fields["address"].choices = [*choices, (NEW, "A new address")]
        self.fields["address"].initial = choices[0][0] if choices else NEW
        for name, (label, autocomplete) in ADDRESS_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                initial="IN" if name == "country" else "",
                widget=forms.TextInput(attrs={"autocomplete": f"shipping {autocomplete}"}),
            )
            self.fields[name].optional = name in OPTIONAL

    def request_data(self) -> dict[str, Any]:
        """What ``address_from_request`` takes: the saved address's id, or the typed one."""
        data = self.cleaned_data
        if data["address"] != NEW:
            return {"address_id": data["address"]}
        return {"shipping_address": {name: data[name] for name in ADDRESS_FIELDS}}


class PlaceOrderForm(forms.Form):
    shipping_option = forms.CharField(max_length=30, required=False)
    payment_method = forms.CharField(max_length=260, required=False)
    idempotency_key = forms.CharField(max_length=200)
