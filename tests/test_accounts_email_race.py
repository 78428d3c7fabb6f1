"""Two requests claiming one email address at the same moment: one account gets it, the other
request gets the form's message (never an IntegrityError, which the page would show as a 500)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from shop.accounts import services
from shop.accounts.models import User
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "race@example.com"


def _a_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def race(first: Callable[[], object], second: Callable[[], object]) -> ValidationError:
    """``first`` claims the address and holds its transaction open; ``second`` passes the
    "is it free?" check (the claim is not committed yet) and blocks on the unique index; then
    ``first`` commits. Returns the error ``second`` raised."""
    claimed, commit = threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                first()
                claimed.set()
                assert commit.wait(30)
        finally:
            connection.close()

    def then_second() -> object:
        try:
            assert claimed.wait(30)
            return second()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        held, racing = pool.submit(hold_first), pool.submit(then_second)
        try:
            wait_until(_a_session_waits_for_a_lock, message="the second claim to wait on the first's row")
        finally:
            commit.set()
        held.result(timeout=30)
        with pytest.raises(ValidationError) as refused:
            racing.result(timeout=30)
    return refused.value


def test_two_sign_ups_racing_for_one_email_make_one_account_and_a_form_error():
    refused = race(
        lambda: services.sign_up(EMAIL, "first-Secret-42", "First"),
        lambda: services.sign_up(EMAIL, "second-Secret-42", "Second"),
    )

    assert refused.message_dict == {"email": [services.EMAIL_EXISTS]}
    assert list(User.objects.filter(email=EMAIL).values_list("first_name", flat=True)) == ["First"]


def test_two_profiles_racing_to_one_email_leave_it_with_one_account_and_a_form_error():
    asha = User.objects.create_user("asha@example.com", "asha@example.com", "old-Secret-42", first_name="Asha")
    ravi = User.objects.create_user("ravi@example.com", "ravi@example.com", "old-Secret-42", first_name="Ravi")

    refused = race(
        lambda: services.update_profile(asha.pk, "Asha", EMAIL),
        lambda: services.update_profile(ravi.pk, "Ravi", EMAIL),
    )

    assert refused.message_dict == {"email": [services.EMAIL_TAKEN]}
    assert list(User.objects.filter(email=EMAIL).values_list("first_name", flat=True)) == ["Asha"]
    ravi.refresh_from_db()
    assert ravi.email == "ravi@example.com"
