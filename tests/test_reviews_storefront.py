"""Reviews on the storefront: the product page's section, the form, "my reviews"."""

from __future__ import annotations

import pytest

from shop.reviews import services
from shop.reviews.models import HelpfulVote, Review
from tests.factories import ProductFactory
from tests.factories_reviews import DISTINCT_GENUINE_TEXTS, GENUINE_TEXT, customer, write

pytestmark = pytest.mark.django_db


def product_page(client, product):
    return client.get(f"/p/{product.id}/{product.slug}/")


def published(product_id: int, **fields):
    review = write(customer(), product_id, **fields)
    services.moderate([review.review_id], approve=True, staff_id=1)
    return review


def test_the_product_page_shows_the_histogram_and_published_reviews(client):
    product = ProductFactory()
    published(product.id, rating=5, title="Lasts for years", body=DISTINCT_GENUINE_TEXTS[0])
    write(customer(), product.id, title="Still pending", body=DISTINCT_GENUINE_TEXTS[1])

    html = product_page(client, product).content.decode()

    assert 'id="reviews"' in html
    assert "Lasts for years" in html
    assert "Still pending" not in html
    assert "5.00 out of 5" in html
    assert "Sign in to write a review" in html


def test_user_text_is_escaped_on_the_page(client):
    product = ProductFactory()
    published(product.id, title="<b>bold</b>", body="<script>alert('x')</script> fine otherwise")

    html = product_page(client, product).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_signed_in_customer_writes_a_review_from_the_product_page(client):
    product = ProductFactory()
    user = customer()
    client.force_login(user)
    assert "Write a review" in product_page(client, product).content.decode()

    response = client.post(
        f"/reviews/product/{product.id}/write/", {"rating": "4", "title": "Good", "body": GENUINE_TEXT}, follow=True
    )

    assert response.status_code == 200
    assert "pending" in response.content.decode()
    assert Review.objects.get().user_id == user.id
    assert "You reviewed this product" in product_page(client, product).content.decode()


def test_bad_form_input_shows_errors_on_the_page_and_stores_nothing(client):
    product = ProductFactory()
    client.force_login(customer())

    response = client.post(f"/reviews/product/{product.id}/write/", {"rating": "9", "title": "", "body": "x" * 50_000})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "This field is required" in html
    assert not Review.objects.exists()


def test_writing_a_second_review_leads_to_editing_the_first(client):
    product = ProductFactory()
    user = customer()
    review = write(user, product.id)
    client.force_login(user)

    response = client.get(f"/reviews/product/{product.id}/write/")

    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{review.review_id}/edit/"


def test_reviewing_an_unknown_product_is_a_404(client):
    client.force_login(customer())

    assert client.post("/reviews/product/987654321/write/", {"rating": "4"}).status_code == 404


def test_the_author_edits_and_deletes_from_the_pages_and_nobody_else_can(client):
    author = customer()
    review = write(author, ProductFactory().id)
    client.force_login(customer())
    assert client.get(f"/reviews/{review.review_id}/edit/").status_code == 404
    assert client.post(f"/reviews/{review.review_id}/delete/").status_code == 404

    client.force_login(author)
    edited = client.post(
        f"/reviews/{review.review_id}/edit/", {"rating": "2", "title": "Changed my mind", "body": GENUINE_TEXT}
    )
    assert edited.status_code == 302
    assert Review.objects.get().title == "Changed my mind"
    assert client.post(f"/reviews/{review.review_id}/delete/").status_code == 302
    assert not Review.objects.exists()


def test_a_customer_marks_a_review_helpful_from_the_page(client):
    product = ProductFactory()
    review = published(product.id)
    client.force_login(customer())
    page = f"/p/{product.id}/{product.slug}/"

    response = client.post(f"/reviews/{review.review_id}/helpful/", {"next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    assert HelpfulVote.objects.count() == 1
    assert "Helpful ✓" in product_page(client, product).content.decode()
    offsite = client.post(f"/reviews/{review.review_id}/helpful/", {"next": "https://evil.example/"})
    assert offsite["Location"] == "/reviews/mine/"


def test_my_reviews_shows_my_reviews_with_their_status(client):
    me = customer()
    product = ProductFactory(name="Steel bottle")
    write(me, product.id, title="Keeps tea hot")
    write(customer(), ProductFactory().id, title="Someone else's", body=DISTINCT_GENUINE_TEXTS[0])
    client.force_login(me)

    html = client.get("/reviews/mine/").content.decode()

    assert "Keeps tea hot" in html
    assert "Steel bottle" in html
    assert "Pending" in html
    assert "Someone else" not in html


def test_the_all_reviews_page_sorts_and_pages(client):
    product = ProductFactory()
    for rating, text in zip([1, 5, 3], DISTINCT_GENUINE_TEXTS, strict=False):
        published(product.id, rating=rating, title=f"{rating} stars", body=text)

    html = client.get(f"/reviews/product/{product.id}/?sort=rating_desc&cursor=not-a-cursor").content.decode()

    assert html.index("5 stars") < html.index("3 stars") < html.index("1 stars")


def test_the_product_page_with_reviews_stays_within_a_query_budget(client, django_assert_max_num_queries):
    product = ProductFactory()
    for text in DISTINCT_GENUINE_TEXTS:
        published(product.id, body=text)
    user = customer()
    client.force_login(user)
    product_page(client, product)

    with django_assert_max_num_queries(10):
        response = product_page(client, product)

    assert response.status_code == 200
