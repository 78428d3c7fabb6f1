"""A customer's own orders. Someone else's order is a 404, not a 403: ids are not secrets to confirm."""

from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.api import BadRequest, int_param
from shop.core.keyset import InvalidCursor
from shop.orders import services
from shop.orders.api.serializers import OrderSerializer


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        size = int_param(request, "page_size", 20, maximum=100)
        try:
            page = services.orders_for_user(
                request.user.id, cursor=request.query_params.get("cursor") or None, size=size
            )
        except InvalidCursor as exc:
            raise BadRequest(str(exc), "invalid_cursor", {"cursor": [str(exc)]}) from None
        return Response(
            {
                "next": page.next_cursor,
                "previous": page.previous_cursor,
                "results": OrderSerializer(page.items, many=True).data,
            }
        )


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, order_id: int) -> Response:
        order = services.get_order(order_id)
        if order is None or order.user_id != request.user.id:
            raise NotFound(f"No order with id {order_id}.")
        return Response(OrderSerializer(order).data)
