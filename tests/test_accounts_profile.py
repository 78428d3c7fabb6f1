"""The shopper's profile in the account area: view, edit name and email, change the password."""

from __future__ import annotations

import pytest

from shop.accounts.models import User
from tests.factories_accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asha(client):
    user = User.objects.create_user("asha@example.com", "asha@example.com", "old-Secret-42", first_name="Asha")
    client.force_login(user)
    return user


def test_the_profile_shows_name_and_email_and_the_account_navigation(client, asha):
    page = client.get("/accounts/").content.decode()

    assert "asha@example.com" in page
    assert 'aria-label="Your account"' in page
    for link in (
        "/accounts/addresses/",
        "/accounts/orders/",
        "/accounts/returns/",
        "/reviews/mine/",
        "/accounts/support/",
    ):
        assert f'href="{link}"' in page
    assert 'href="/accounts/" aria-current="page"' in page


def test_editing_the_profile_changes_name_email_and_sign_in_name(client, asha):
    response = client.post("/accounts/profile/", {"name": "Asha Rao", "email": "Asha.Rao@Example.com"})

    assert response.status_code == 302
    asha.refresh_from_db()
    assert (asha.first_name, asha.last_name, asha.email, asha.username) == (
        "Asha",
        "Rao",
        "asha.rao@example.com",
        "asha.rao@example.com",
    )
    assert "Your profile is saved." in client.get("/accounts/").content.decode()


def test_an_email_of_another_account_is_a_form_error(client, asha):
    UserFactory(email="taken@example.com")

    response = client.post("/accounts/profile/", {"name": "Asha", "email": "taken@example.com"})

    assert response.status_code == 400
    assert "Another account uses this email address." in response.content.decode()
    asha.refresh_from_db()
    assert asha.email == "asha@example.com"


def test_a_bad_email_is_a_form_error(client, asha):
    response = client.post("/accounts/profile/", {"name": "Asha", "email": "not-an-email"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_changing_the_password_keeps_the_shopper_signed_in(client, asha):
    response = client.post(
        "/accounts/password/",
        {"old_password": "old-Secret-42", "new_password1": "new-Secret-99", "new_password2": "new-Secret-99"},
    )

    assert response.status_code == 302
    asha.refresh_from_db()
    assert asha.check_password("new-Secret-99")
    assert client.get("/accounts/").status_code == 200


def test_a_wrong_old_password_changes_nothing(client, asha):
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "new-Secret-99", "new_password2": "new-Secret-99"},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    asha.refresh_from_db()
    assert asha.check_password("old-Secret-42")


def test_the_addresses_page_lists_the_address_book(client, asha):
    assert "No saved addresses yet." in client.get("/accounts/addresses/").content.decode()
