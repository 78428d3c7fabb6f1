"""A customer's own orders, and what they can do with them. Someone else's order is a 404,
not a 403: ids are not secrets to confirm. Cancel and return take an ``Idempotency-Key``."""

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core import idempotency
from shop.core.api import page_body, page_params
from shop.core.schema import IDEMPOTENCY_KEY_PARAMETER, PAGE_PARAMETERS, page_of
from shop.fulfillment import services as fulfillment
from shop.orders import services
from shop.orders.api.serializers import (
    CancelSerializer,
    OrderDetailSerializer,
    OrderSerializer,
    ReturnOutSerializer,
    ReturnRequestSerializer,
    ReturnSerializer,
    ShipmentSerializer,
    StatusChangeSerializer,
)
from shop.orders.detail import order_detail, return_views


def _own_order(request: Request, order_id: int) -> services.OrderInfo:
    order = services.get_order(order_id)
    if order is None or order.user_id != request.user.id:
        raise NotFound(f"No order with id {order_id}.")
    return order


def _actor(request: Request) -> str:
    return f"customer:{request.user.id}"


def _return_json(ret: services.ReturnInfo, label_ready: bool) -> dict[str, Any]:
    data = dict(ReturnSerializer(ret).data)
    data["label_url"] = reverse("api-order-return-label", args=[ret.order_id, ret.return_id]) if label_ready else None
    return data


def detail_json(order: services.OrderInfo, actor: str) -> dict[str, Any]:
    detail = order_detail(order, actor)
    data = dict(OrderSerializer(order).data)
    data["history"] = StatusChangeSerializer(detail.history, many=True).data
    data["shipments"] = ShipmentSerializer(detail.shipments, many=True).data
    data["returns"] = [_return_json(view.ret, view.label_ready) for view in detail.returns]
    data["actions"] = {
        "cancel": detail.can_cancel,
        "return": detail.can_return,
        "return_window_ends": detail.return_window_ends,
    }
    return data


def _once(request: Request, action: str, payload: dict[str, Any], perform: Any) -> Response:
    answer = idempotency.run_once(
        request.user.id, request.headers.get(idempotency.HEADER, ""), action, payload, perform
    )
    response = Response(answer.body, status=answer.status)
    response["Idempotent-Replayed"] = "true" if answer.replayed else "false"
    return response


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE_PARAMETERS, responses=page_of("OrderPage", OrderSerializer))
    def get(self, request: Request) -> Response:
        cursor, size = page_params(request)
        page = services.orders_for_user(request.user.id, cursor=cursor, size=size)
        return Response(page_body(page, OrderSerializer(page.items, many=True).data))


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderDetailSerializer)
    def get(self, request: Request, order_id: int) -> Response:
        return Response(detail_json(_own_order(request, order_id), _actor(request)))


class CancelOrderView(APIView):
    """``POST {"reason"}`` with ``Idempotency-Key``: 200 and the order, 409 once it is picked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CancelSerializer, responses=OrderDetailSerializer, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def post(self, request: Request, order_id: int) -> Response:
        _own_order(request, order_id)
        form = CancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reason = form.validated_data["reason"] or "cancelled by the customer"

        def perform() -> tuple[int, dict[str, Any]]:
            services.cancel_order(order_id, actor=_actor(request), reason=reason)
            return 200, detail_json(services.get_order(order_id), _actor(request))

        return _once(request, "cancel", {"order_id": order_id, "reason": reason}, perform)


class ReturnsView(APIView):
    """``GET``: the order's returns. ``POST {"lines": [{"line_id", "quantity"}], "reason"}`` with
    ``Idempotency-Key``: 201 and the return (its label follows within seconds)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer("ReturnList", {"results": ReturnOutSerializer(many=True)}),
    )
    def get(self, request: Request, order_id: int) -> Response:
        _own_order(request, order_id)
        views = return_views(order_id)
        return Response({"results": [_return_json(view.ret, view.label_ready) for view in views]})

    @extend_schema(
        request=ReturnRequestSerializer, responses={201: ReturnOutSerializer}, parameters=[IDEMPOTENCY_KEY_PARAMETER]
    )
    def post(self, request: Request, order_id: int) -> Response:
        _own_order(request, order_id)
        form = ReturnRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        lines = [(x["line_id"], x["quantity"]) for x in form.validated_data["lines"]]
        reason = form.validated_data["reason"]

        def perform() -> tuple[int, dict[str, Any]]:
            ret = services.request_return(order_id, actor=_actor(request), lines=lines, reason=reason)
            return 201, _return_json(ret, label_ready=False)

        return _once(request, "return", {"order_id": order_id, "lines": lines, "reason": reason}, perform)


class ReturnLabelView(APIView):
    """The prepaid return label (PDF); 404 until the carrier has made it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The label.")})
    def get(self, request: Request, order_id: int, return_id: int) -> HttpResponse:
        _own_order(request, order_id)
        try:
            ret = services.get_return(return_id)
        except services.ReturnNotFound:
            raise NotFound(f"No return with id {return_id}.") from None
        pdf = fulfillment.return_label(return_id) if ret.order_id == order_id else None
        if pdf is None:
            raise NotFound("The return label is not ready yet; try again in a few seconds.")
        return label_response(pdf, f"return-{return_id}-label.pdf")


def label_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
