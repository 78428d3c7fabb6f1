"""The account's returns page: every return of the shopper's, where its refund stands, and its order."""

from __future__ import annotations

from shop.orders import services as orders
from tests.factories_lifecycle import delivered_order, make_customer, stock_up


def test_the_returns_page_lists_the_shoppers_returns_with_refund_status_and_order_link(lifecycle, client):
    customer = make_customer()
    stock_up(1, 10, 5)
    order = delivered_order(user_id=customer.id, lines=[(1, 2)])
    ret = orders.request_return(
        order.order_id, actor=f"customer:{customer.id}", lines=[(order.lines[0].line_id, 1)], reason="Too big"
    )
    someone_else = make_customer()
    client.force_login(customer)

    page = client.get("/accounts/returns/").content.decode()

    assert f"Return {ret.return_id} of order {order.number}" in page
    assert f'href="/accounts/orders/{order.order_id}/"' in page
    assert "once your parcel reaches our warehouse" in page
    assert 'href="/accounts/returns/" aria-current="page"' in page
    client.force_login(someone_else)
    assert "You have no returns." in client.get("/accounts/returns/").content.decode()


def test_the_returns_page_needs_a_signed_in_shopper(db, client):
    assert client.get("/accounts/returns/")["Location"].startswith("/accounts/login/")
