"""Spec 12: admin log-ins are throttled like the API's, on the same counter per
(client IP, e-mail), so neither door gives a password guesser extra attempts."""

import pytest
from django.conf import settings
from django.core.cache import caches

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ADMIN_LOGIN = "/admin/login/"
API_LOGIN = "/api/v1/auth/token/"
EMAIL = "staff@example.com"


@pytest.fixture
def staff_member():
    return UserFactory(email=EMAIL, is_staff=True)


def admin_attempt(client, guess="wrong", email=EMAIL, ip="10.0.0.1"):
    data = {"username": email, "password": guess, "next": "/admin/"}
    return client.post(ADMIN_LOGIN, data, REMOTE_ADDR=ip)


def api_attempt(api_client, guess="wrong", email=EMAIL, ip="10.0.0.1"):
    return api_client.post(API_LOGIN, {"email": email, "password": guess}, REMOTE_ADDR=ip)


def logged_in(client):
    return "_auth_user_id" in client.session


def test_eleventh_admin_login_in_a_minute_is_refused_even_with_the_right_password(
    client, staff_member
):
    for _ in range(10):
        response = admin_attempt(client)
        assert response.status_code == 200  # the login form again, with its error
        assert not logged_in(client)
    response = admin_attempt(client, guess=PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not logged_in(client)
    # Another client address is a different pair: the staff member can still log in.
    assert admin_attempt(client, guess=PASSWORD, ip="10.0.0.2").status_code == 302
    assert logged_in(client)


def test_admin_and_api_logins_share_one_counter(client, api, staff_member):
    api_client = api()
    for _ in range(5):
        assert api_attempt(api_client).status_code == 401
        assert admin_attempt(client).status_code == 200
    assert admin_attempt(client, guess=PASSWORD).status_code == 429
    assert api_attempt(api_client, guess=PASSWORD).status_code == 429


def test_api_failures_close_the_admin_door_too(client, api, staff_member):
    api_client = api()
    for _ in range(10):
        api_attempt(api_client, email=EMAIL.upper())
    assert admin_attempt(client, guess=PASSWORD).status_code == 429
    assert not logged_in(client)


def test_the_default_cache_is_the_database_shared_by_every_process():
    # Without REDIS_URL each worker's memory would count alone (25 failures seen before a
    # 429 with several workers): the default keeps the counters in the database.
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the counters are in Redis")
    assert type(caches["default"]).__name__ == "DatabaseCache"
    caches["default"].set("fintrack-probe", "ok", 5)
    assert caches["default"].get("fintrack-probe") == "ok"
