"""Reviews REST API v1: lists with sorts and keyset pages, writes, votes, errors."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shop.reviews import services
from shop.reviews.models import Review, ReviewStatus
from tests.factories import ProductFactory
from tests.factories_reviews import DISTINCT_GENUINE_TEXTS, GENUINE_TEXT, customer, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def published(product_id: int, *, rating: int = 4, body: str = GENUINE_TEXT, helpful: int = 0):
    review = write(customer(), product_id, rating=rating, body=body)
    services.moderate([review.review_id], approve=True, staff_id=1)
    Review.objects.filter(id=review.review_id).update(helpful_count=helpful)
    return review


def test_a_signed_in_customer_posts_a_review_and_sees_it_pending():
    product = ProductFactory()

    response = signed_in(customer(first_name="Asha", last_name="Rao")).post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 5, "title": "Lovely", "body": GENUINE_TEXT}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["author_name"] == "Asha R."
    assert body["verified_purchase"] is False
    assert "fraud_score" not in body
    assert "decision_reason" not in body


def test_posting_needs_a_signed_in_customer(api):
    response = api.post(f"/api/v1/products/{ProductFactory().id}/reviews/", {"rating": 5}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rating": 6, "title": "t", "body": "b"}, "rating"),
        ({"rating": 0, "title": "t", "body": "b"}, "rating"),
        ({"rating": "five", "title": "t", "body": "b"}, "rating"),
        ({"rating": 5, "title": "t", "body": ""}, "body"),
        ({"rating": 5, "title": "t", "body": "x" * 50_000}, "body"),
        ({"rating": 5, "title": "", "body": "b"}, "title"),
        ({"rating": 5, "body": "b"}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(payload, field):
    response = signed_in(customer()).post(f"/api/v1/products/{ProductFactory().id}/reviews/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert response.json()["error"]["message"]
    assert not Review.objects.exists()


def test_a_second_review_is_a_409_and_an_unknown_product_a_404():
    user = customer()
    product = ProductFactory()
    client = signed_in(user)
    payload = {"rating": 5, "title": "t", "body": GENUINE_TEXT}
    assert client.post(f"/api/v1/products/{product.id}/reviews/", payload, format="json").status_code == 201

    again = client.post(f"/api/v1/products/{product.id}/reviews/", payload, format="json")
    unknown = client.post("/api/v1/products/987654321/reviews/", payload, format="json")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_reviewed"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_product"
    assert Review.objects.count() == 1


def test_html_in_a_review_comes_back_as_text_not_markup():
    response = signed_in(customer()).post(
        f"/api/v1/products/{ProductFactory().id}/reviews/",
        {"rating": 3, "title": "<img src=x onerror=alert(1)>", "body": "<script>alert(1)</script>"},
        format="json",
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["body"] == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("helpful", [2, 1, 0]),
        ("newest", [2, 1, 0]),
        ("rating_desc", [1, 0, 2]),
        ("rating_asc", [2, 0, 1]),
    ],
)
def test_published_reviews_are_listed_in_the_chosen_order(api, sort, expected):
    product = ProductFactory()
    reviews = [
        published(product.id, rating=3, body=DISTINCT_GENUINE_TEXTS[0], helpful=1),
        published(product.id, rating=5, body=DISTINCT_GENUINE_TEXTS[1], helpful=4),
        published(product.id, rating=1, body=DISTINCT_GENUINE_TEXTS[2], helpful=9),
    ]
    write(customer(), product.id, body=DISTINCT_GENUINE_TEXTS[3])  # pending: never listed

    response = api.get(f"/api/v1/products/{product.id}/reviews/?sort={sort}")

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [reviews[i].review_id for i in expected]


def test_deep_lists_are_walked_with_keyset_cursors(api):
    product = ProductFactory()
    ids = [published(product.id, body=f"{text} ({n})").review_id for n, text in enumerate(DISTINCT_GENUINE_TEXTS)]

    seen, url = [], f"/api/v1/products/{product.id}/reviews/?sort=newest&page_size=4"
    while url:
        body = api.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"] and f"/api/v1/products/{product.id}/reviews/?sort=newest&page_size=4&cursor={body['next']}"

    assert seen == sorted(ids, reverse=True)


def test_bad_list_parameters_are_400s(api):
    product = ProductFactory()

    assert api.get(f"/api/v1/products/{product.id}/reviews/?sort=best").status_code == 400
    assert api.get(f"/api/v1/products/{product.id}/reviews/?page_size=1000").status_code == 400
    bad_cursor = api.get(f"/api/v1/products/{product.id}/reviews/?cursor=garbage")
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["code"] == "invalid_cursor"
    assert api.get("/api/v1/products/987654321/reviews/").status_code == 404


def test_the_list_is_served_from_the_cache_until_a_review_changes(
    api, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    published(product.id, body=DISTINCT_GENUINE_TEXTS[0])
    url = f"/api/v1/products/{product.id}/reviews/"
    first = api.get(url)

    with django_assert_max_num_queries(0):
        warm = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert warm.status_code == 304

    voter = customer()
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_helpful(review_id=first.json()["results"][0]["id"], user_id=voter.id)
    after = api.get(url)
    assert after.json()["results"][0]["helpful_count"] == 1
    assert after["ETag"] != first["ETag"]


def test_a_cold_list_read_is_a_bounded_number_of_queries(api, django_assert_max_num_queries):
    product = ProductFactory()
    for text in DISTINCT_GENUINE_TEXTS:
        published(product.id, body=text)

    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/products/{product.id}/reviews/?page_size=50")

    assert len(response.json()["results"]) == len(DISTINCT_GENUINE_TEXTS)


def test_the_summary_has_average_count_and_histogram(api):
    product = ProductFactory()
    published(product.id, rating=5, body=DISTINCT_GENUINE_TEXTS[0])
    published(product.id, rating=2, body=DISTINCT_GENUINE_TEXTS[1])

    body = api.get(f"/api/v1/products/{product.id}/reviews/summary/").json()

    assert body == {
        "product_id": product.id,
        "average": "3.50",
        "count": 2,
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
    }


def test_the_author_edits_and_deletes_through_the_api_and_others_get_404s():
    author, stranger = customer(), customer()
    review = write(author, ProductFactory().id)
    url = f"/api/v1/reviews/{review.review_id}/"

    assert signed_in(stranger).patch(url, {"rating": 1}, format="json").status_code == 404
    assert signed_in(stranger).delete(url).status_code == 404
    assert APIClient().get(url).status_code == 404  # pending: only its author sees it
    edited = signed_in(author).patch(url, {"rating": 2}, format="json")
    assert edited.status_code == 200
    assert (edited.json()["rating"], edited.json()["status"], edited.json()["edited"]) == (2, "pending", True)
    assert signed_in(author).patch(url, {"rating": 9}, format="json").status_code == 400
    assert signed_in(author).delete(url).status_code == 204
    assert not Review.objects.exists()


def test_votes_through_the_api():
    author = customer()
    review = published(ProductFactory().id)
    Review.objects.filter(id=review.review_id).update(user_id=author.id)
    url = f"/api/v1/reviews/{review.review_id}/vote/"
    voter = signed_in(customer())

    assert voter.post(url).status_code == 201
    again = voter.post(url)
    own = signed_in(author).post(url)
    taken_back = voter.delete(url)

    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_voted")
    assert (own.status_code, own.json()["error"]["code"]) == (403, "own_review")
    assert (taken_back.status_code, taken_back.json()["helpful_count"]) == (200, 0)
    assert voter.post("/api/v1/reviews/987654321/vote/").status_code == 404


def test_my_reviews_lists_every_state_of_my_own_reviews_only():
    me = customer()
    mine_published = write(me, ProductFactory().id, body=DISTINCT_GENUINE_TEXTS[0])
    services.moderate([mine_published.review_id], approve=True, staff_id=1)
    mine_held = write(me, ProductFactory().id, body=DISTINCT_GENUINE_TEXTS[1])
    Review.objects.filter(id=mine_held.review_id).update(status=ReviewStatus.HELD)
    write(customer(), ProductFactory().id, body=DISTINCT_GENUINE_TEXTS[2])

    response = signed_in(me).get("/api/v1/reviews/mine/")

    assert response.status_code == 200
    statuses = {r["id"]: r["status"] for r in response.json()["results"]}
    assert statuses == {mine_published.review_id: "published", mine_held.review_id: "pending"}
    assert APIClient().get("/api/v1/reviews/mine/").status_code == 401
