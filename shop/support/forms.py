"""The pages' forms (customers) and the admin's (staff). The services check the content again;
their errors land on these fields, so pages, admin and API say the same thing."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from shop.orders import services as orders
from shop.support import services
from shop.support.models import ActionKind, Ticket


class NewTicketForm(forms.Form):
    category = forms.ChoiceField(choices=[("", "Choose a topic"), *services.Category.choices], label="Topic")
    order_id = forms.IntegerField(
        required=False, label="Which order is it about?", min_value=1, max_value=services.MAX_ORDER_ID
    )
    subject = forms.CharField(
        required=False,
        max_length=services.SUBJECT_MAX_LENGTH,
        label="Subject",
        help_text="Optional: we use the topic and the order otherwise.",
    )
    body = forms.CharField(
        max_length=services.BODY_MAX_LENGTH,
        label="How can we help?",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Up to {services.BODY_MAX_LENGTH:,} characters.",
    )
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args: Any, recent_orders: list[orders.OrderInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "None: a general question")]
        choices += [
            (o.order_id, f"Order {o.number} · {o.placed_at:%d %b %Y} · {o.status_label}") for o in recent_orders
        ]
        self.fields["order_id"].widget = forms.Select(choices=choices)


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=services.BODY_MAX_LENGTH,
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Up to {services.BODY_MAX_LENGTH:,} characters.",
    )
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)


def new_key() -> str:
    return str(uuid.uuid4())


# --- Admin ---------------------------------------------------------------------------------------


class StaffReplyForm(forms.ModelForm):
    """The ticket's admin form: nothing of the ticket is edited in place; a reply (or a note)
    goes through ``services.staff_reply``."""

    reply = forms.CharField(
        required=False,
        max_length=services.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text="Sent to the customer by email, unless it is an internal note.",
    )
    internal = forms.BooleanField(required=False, label="Internal note (staff only, no email)")
    resolve = forms.BooleanField(required=False, label="Resolve the ticket")

    class Meta:
        model = Ticket
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("internal") and not (data.get("reply") or "").strip():
            self.add_error("reply", "Write the note.")
        return data


class OrderActionForm(forms.Form):
    """One staff action on the ticket's order; the reship and return forms have one quantity
    field per order line (``line_<id>``)."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    reason = forms.CharField(
        max_length=500, label="Reason (kept in the audit)", widget=forms.TextInput(attrs={"size": 60})
    )
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Empty: everything still refundable.",
    )

    def __init__(self, *args: Any, kind: str, order: orders.OrderInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.order = order
        if kind != ActionKind.REFUND:
            del self.fields["amount"]
        else:
            self.fields["amount"].label = f"Amount ({order.currency})"
        if kind in (ActionKind.RESHIP, ActionKind.START_RETURN):
            for line in order.lines:
                self.fields[f"line_{line.line_id}"] = forms.IntegerField(
                    required=False, min_value=0, max_value=line.quantity, initial=0, label=f"{line.product_name}"
                )

    def line_fields(self) -> list[tuple[orders.OrderLineInfo, forms.BoundField]]:
        return [
            (line, self[f"line_{line.line_id}"]) for line in self.order.lines if f"line_{line.line_id}" in self.fields
        ]

    def lines(self) -> list[tuple[int, int]]:
        return [
            (line.line_id, self.cleaned_data[f"line_{line.line_id}"])
            for line in self.order.lines
            if self.cleaned_data.get(f"line_{line.line_id}")
        ]
