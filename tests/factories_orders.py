"""Building orders for tests through the orders service (as checkout does)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shop.core.money import Money
from shop.orders import services


def place_order(
    *,
    user_id: int | None = None,
    lines: list[tuple[int, int, int]] | None = None,
    email: str = "buyer@example.com",
    warehouses: dict[int, int] | None = None,
    payment_reference: str = "pay-test",
    checkout_id: str | None = None,
    shipping_method: str = "standard",
) -> services.OrderInfo:
    """An order of ``lines`` given as (product_id, sku_id, quantity), each at INR 100.00;
    ``warehouses`` maps sku_id to the warehouse its units were allocated from."""
    lines = lines or [(1, 1, 1)]
    warehouses = warehouses or {}
    order_lines = [
        services.NewOrderLine(
            sku_id=sku_id,
            product_id=product_id,
            product_name=f"Product {product_id}",
            sku_code=f"SKU-{sku_id}",
            quantity=quantity,
            unit_price=Decimal("100.00"),
            warehouse_id=warehouses.get(sku_id),
        )
        for product_id, sku_id, quantity in lines
    ]
    subtotal = Money.of(sum(100 * q for _, _, q in lines), "INR")
    shipping, tax = Money.of("50", "INR"), Money.of("18", "INR")
    return services.create_order(
        checkout_id=checkout_id or str(uuid.uuid4()),
        user_id=user_id,
        email=email,
        lines=order_lines,
        totals=services.OrderTotals(subtotal, shipping, tax, subtotal + shipping + tax),
        shipping_method=shipping_method,
        shipping_address={"name": "A Buyer", "line1": "1 MG Road", "city": "Bengaluru", "postcode": "560001"},
        payment_reference=payment_reference,
    )
