"""Serializers of support's DTOs, and the types of what customers send. The content rules
(categories, lengths) are the service's, so the API and the pages give the same messages.
Text is returned as written: HTML clients must escape it (the storefront's templates do)."""

from rest_framework import serializers

from shop.support.services import MAX_ORDER_ID


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="message_id")
    author = serializers.CharField()
    author_name = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="ticket_id")
    subject = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    order_id = serializers.IntegerField(allow_null=True)
    order_number = serializers.CharField()
    message_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True)


class NewTicketSerializer(serializers.Serializer):
    category = serializers.CharField(allow_blank=True, trim_whitespace=False)
    subject = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    order_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ORDER_ID)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
