"""The return form: one quantity per returnable line, and a reason."""

from __future__ import annotations

from typing import Any

from django import forms

from shop.orders.services import OrderLineInfo

REASONS = [
    ("", "Choose a reason"),
    ("Changed my mind", "Changed my mind"),
    ("Damaged or defective", "Damaged or defective"),
    ("Not as described", "Not as described"),
    ("Wrong item", "Wrong item"),
    ("Other", "Other"),
]


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(choices=REASONS, label="Why are you returning these?")

    def __init__(self, *args: Any, lines: list[OrderLineInfo], returnable: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[str, OrderLineInfo, int]] = []
        for line in lines:
            left = returnable.get(line.line_id, 0)
            if left <= 0:
                continue
            name = f"line_{line.line_id}"
            self.fields[name] = forms.TypedChoiceField(
                choices=[(n, str(n)) for n in range(left + 1)],
                coerce=int,
                initial=0,
                label=f"{line.product_name} ({line.sku_code})",
            )
            self.line_fields.append((name, line, left))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.selected_lines():
            raise forms.ValidationError("Choose at least one item to return.")
        return data

    def selected_lines(self) -> list[tuple[int, int]]:
        return [
            (line.line_id, self.cleaned_data.get(name) or 0)
            for name, line, _left in self.line_fields
            if (self.cleaned_data.get(name) or 0) > 0
        ]

    def line_rows(self) -> list[tuple[forms.BoundField, OrderLineInfo, int]]:
        return [(self[name], line, left) for name, line, left in self.line_fields]
