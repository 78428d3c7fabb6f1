"""Storefront widgets: home, product page (which records the view) and the cart-page include."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from shop.accounts.models import User
from shop.core.redis import get_redis
from shop.inventory import services as inventory
from shop.recs import interactions, serving
from shop.recs.clients import make_request_client
from shop.recs.middleware import VisitorMiddleware
from tests.factories_cart import warehouse
from tests.factories_recs import World, build_world, small_world_als  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_world_als")]


@pytest.fixture
def world() -> World:
    return build_world()


def test_home_page_recommends_for_a_signed_in_customer(client, world):
    client.force_login(User.objects.create_user(id=1, username="one", email="one@example.com", password="x"))

    page = client.get("/").content.decode()

    assert 'id="recs-for-you">Recommended for you</h2>' in page
    assert f'href="/p/{world.kettle.id}/kettle/"' in page


def test_home_page_shows_popular_products_to_a_new_guest(client, world):
    page = client.get("/").content.decode()

    assert "Popular with customers" in page


def test_product_page_shows_what_customers_also_bought_and_records_the_view(client, world):
    response = client.get(f"/p/{world.teapot.id}/teapot/")

    page = response.content.decode()
    assert "Customers who bought this also bought" in page
    assert f'alt="{world.kettle.name}"' in page
    visitor_id = response.cookies["shop_vid"].value
    assert response.cookies["shop_vid"]["httponly"]
    assert get_redis().llen(interactions.VIEW_BUFFER_KEY) == 1
    interactions.flush_views()
    row = interactions.Interaction.objects.get(kind=interactions.Interaction.Kind.VIEW)
    assert (row.product_id, row.session_id) == (world.teapot.id, visitor_id)


def test_browsing_a_product_steers_the_guests_home_page(client, world):
    client.get(f"/p/{world.tent.id}/tent/")

    page = client.get("/").content.decode()

    assert "Inspired by your browsing" in page
    assert f'href="/p/{world.stove.id}/stove/"' in page


def test_the_visitor_cookie_is_set_once(client, world):
    first = client.get(f"/p/{world.tent.id}/tent/")
    second = client.get(f"/p/{world.stove.id}/stove/")

    assert "shop_vid" in first.cookies
    assert "shop_vid" not in second.cookies


def test_a_forged_visitor_cookie_is_replaced(client, world):
    client.cookies["shop_vid"] = "<script>"

    response = client.get(f"/p/{world.tent.id}/tent/")

    assert response.cookies["shop_vid"].value != "<script>"


def render_cart_widget(product_ids: list[int]) -> str:
    request = RequestFactory().get("/cart/")
    VisitorMiddleware(lambda request: None)(request)  # what the middleware sets on a real request
    template = Template("{% load recs %}{% recs_for_cart product_ids %}")
    return template.render(Context({"request": request, "product_ids": product_ids}))


def test_the_cart_page_widget_shows_items_related_to_the_cart(world):
    html = render_cart_widget([world.tent.id])

    assert "Related to items in your cart" in html
    assert f'href="/p/{world.lamp.id}/lamp/"' in html
    assert f'href="/p/{world.tent.id}/tent/"' not in html


def test_widgets_render_nothing_and_pages_still_work_with_redis_down(client, world, monkeypatch):
    unreachable = make_request_client("redis://127.0.0.1:1/0")
    monkeypatch.setattr(serving, "request_redis", lambda: unreachable)
    monkeypatch.setattr(interactions, "request_redis", lambda: unreachable)

    response = client.get(f"/p/{world.teapot.id}/teapot/")

    assert response.status_code == 200
    assert "recs-widget" not in response.content.decode()
    assert render_cart_widget([world.tent.id]).strip() == ""
    assert interactions.Interaction.objects.filter(product_id=world.teapot.id).exists()  # the view still counts


def test_the_cart_page_recommends_around_the_cart_and_the_home_page_leaves_cart_items_out(
    client, world, django_capture_on_commit_callbacks
):
    sku = world.tent.skus.get()
    with django_capture_on_commit_callbacks(execute=True):  # cart.ItemAdded reaches the recs consumer
        inventory.receive(sku.id, warehouse().id, 10, reason="test stock")
        client.post("/cart/add/", {"sku_id": sku.id, "quantity": 1})
    client.get(f"/p/{world.stove.id}/stove/")  # the tent's neighbours are now "inspired by your browsing"

    cart_page = client.get("/cart/").content.decode()
    home = client.get("/").content.decode()

    assert "Related to items in your cart" in cart_page
    assert f'href="/p/{world.lamp.id}/lamp/"' in cart_page
    assert "Inspired by your browsing" in home
    assert f'href="/p/{world.tent.id}/tent/"' not in home.split('id="recs-for-you"')[1].split("</section>")[0]
