from rest_framework import serializers


class OrderLineSerializer(serializers.Serializer):
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
    lines = OrderLineSerializer(many=True)
