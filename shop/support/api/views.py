"""Support REST API v1: a customer's own tickets. Someone else's ticket (or order) is a 404, not
a 403. New tickets and messages are rate-limited per customer (429 with ``Retry-After``); an
optional ``Idempotency-Key`` makes a retried POST return the first answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from shop.core.api import page_body, page_params
from shop.core.schema import PAGE_PARAMETERS, page_of
from shop.support import services
from shop.support.api.serializers import (
    NewTicketSerializer,
    ReplySerializer,
    TicketDetailSerializer,
    TicketSerializer,
)
from shop.support.throttling import MessageThrottle, TicketThrottle

MAX_PAGE_SIZE = 50
KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Optional: a retried POST with the same key returns the first answer (`Idempotent-Replayed`).",
)


class SupportAPIView(APIView):
    permission_classes = [IsAuthenticated]
    post_throttle: type[BaseThrottle] | None = None

    def get_throttles(self) -> list[BaseThrottle]:
        return [self.post_throttle()] if self.request.method == "POST" and self.post_throttle else []


def _detail(ticket: services.TicketInfo, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(TicketDetailSerializer(ticket).data, status=status_code)
    response["Idempotent-Replayed"] = "true" if ticket.replayed else "false"
    return response


def _key(request: Request) -> str:
    return request.headers.get("Idempotency-Key", "")


class TicketListView(SupportAPIView):
    """GET: my tickets, most recent activity first (``page_size``, ``cursor``). POST: open one
    ``{"category", "subject"?, "body", "order_id"?}`` → 201 with the conversation."""

    post_throttle = TicketThrottle

    @extend_schema(parameters=PAGE_PARAMETERS, responses=page_of("TicketPage", TicketSerializer))
    def get(self, request: Request) -> Response:
        cursor, size = page_params(request, 20, MAX_PAGE_SIZE)
        page = services.tickets_for_user(request.user.id, cursor=cursor, size=size)
        return Response(page_body(page, TicketSerializer(page.items, many=True).data))

    @extend_schema(
        request=NewTicketSerializer,
        responses={200: TicketDetailSerializer, 201: TicketDetailSerializer},
        parameters=[KEY_PARAMETER],
    )
    def post(self, request: Request) -> Response:
        data: dict[str, Any] = _valid(NewTicketSerializer, request)
        ticket = services.open_ticket(user_id=request.user.id, client_key=_key(request), **data)
        return _detail(ticket, status.HTTP_200_OK if ticket.replayed else status.HTTP_201_CREATED)


class TicketDetailView(SupportAPIView):
    """GET: the ticket and its conversation (staff's internal notes are never included)."""

    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = services.get_ticket(ticket_id, user_id=request.user.id)
        if ticket is None:
            raise services.TicketNotFound(f"No ticket with id {ticket_id}.")
        return _detail(ticket)


class TicketMessagesView(SupportAPIView):
    """POST ``{"body"}``: write on the ticket (reopens it if resolved) → 201 with the conversation."""

    post_throttle = MessageThrottle

    @extend_schema(
        request=ReplySerializer,
        responses={200: TicketDetailSerializer, 201: TicketDetailSerializer},
        parameters=[KEY_PARAMETER],
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        data = _valid(ReplySerializer, request)
        ticket = services.customer_reply(
            ticket_id, user_id=request.user.id, body=data["body"], client_key=_key(request)
        )
        return _detail(ticket, status.HTTP_200_OK if ticket.replayed else status.HTTP_201_CREATED)


class TicketResolveView(SupportAPIView):
    """POST: mark my ticket resolved (a repeat is a no-op) → 200 with the conversation."""

    @extend_schema(request=None, responses=TicketDetailSerializer)
    def post(self, request: Request, ticket_id: int) -> Response:
        return _detail(services.customer_resolve(ticket_id, user_id=request.user.id))


class CategoriesView(APIView):
    """The categories a ticket can have, with their labels (public)."""

    @extend_schema(
        responses=inline_serializer(
            "SupportCategoryList",
            {
                "results": inline_serializer(
                    "SupportCategory", {"value": serializers.CharField(), "label": serializers.CharField()}, many=True
                )
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [{"value": c.value, "label": c.label} for c in services.Category]})


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
