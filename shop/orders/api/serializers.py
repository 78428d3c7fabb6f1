from rest_framework import serializers


class OrderLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField()
    sku_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    sku_code = serializers.CharField()
    variant = serializers.DictField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderSerializer(serializers.Serializer):
    """Serializes ``shop.orders.services.OrderInfo``."""

    id = serializers.IntegerField(source="order_id")
    number = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    grand_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_method = serializers.CharField()
    shipping_address = serializers.DictField()
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    lines = OrderLineSerializer(many=True)


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField(
        source="customer_note", help_text="The customer's own words (a return's reason); empty for other moves."
    )
    at = serializers.DateTimeField()


class TrackingEventSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    location = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class ShipmentLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.Serializer):
    """Serializes ``shop.fulfillment.services.ShipmentInfo`` for the customer."""

    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    carrier = serializers.CharField()
    carrier_service = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    tracking_status = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    lines = ShipmentLineSerializer(many=True)
    events = TrackingEventSerializer(many=True)


class ReturnLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()


class ReturnSerializer(serializers.Serializer):
    """Serializes ``shop.orders.services.ReturnInfo`` (``label_url`` is added by the view)."""

    id = serializers.IntegerField(source="return_id")
    status = serializers.CharField()
    reason = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    requested_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    lines = ReturnLineSerializer(many=True)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnRequestLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class ReturnRequestSerializer(serializers.Serializer):
    lines = ReturnRequestLineSerializer(many=True, allow_empty=False, max_length=200)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnOutSerializer(ReturnSerializer):
    label_url = serializers.CharField(allow_null=True, help_text="The prepaid label (PDF) once the carrier made it.")


class OrderActionsSerializer(serializers.Serializer):
    cancel = serializers.BooleanField()
    # "return" is a Python keyword: declared below under its JSON name.
    return_window_ends = serializers.DateTimeField(allow_null=True)


OrderActionsSerializer._declared_fields["return"] = serializers.BooleanField()


class OrderDetailSerializer(OrderSerializer):
    """The order as its customer sees it (the view assembles it; this is its shape)."""

    history = StatusChangeSerializer(many=True)
    shipments = ShipmentSerializer(many=True)
    returns = ReturnOutSerializer(many=True)
    actions = OrderActionsSerializer()
