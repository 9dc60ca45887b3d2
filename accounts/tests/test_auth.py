"""Sign-up, login, token refresh/rotation, logout and `me` (spec 2)."""

import pytest
from django.conf import settings
from django.test import override_settings

from accounts.models import Membership, Organization, Role, User
from accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from fintrack.tests.helpers import contains_key, error_attrs, error_code

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"


def sign_up(**overrides):
    return {
        "email": "ann@example.com",
        "password": "a-long-unusual-passphrase",
        "name": "Ann Smith",
        "organization_name": "Ann's Bakery",
        "base_currency": "EUR",
        **overrides,
    }


# --- register ---------------------------------------------------------------------------


def test_register_creates_user_organization_and_admin_membership(api):
    response = api().post(REGISTER, sign_up())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"user", "organization", "access", "refresh"}
    user = User.objects.get(email="ann@example.com")
    organization = Organization.objects.get(name="Ann's Bakery")
    assert body["user"] == {"id": user.pk, "email": "ann@example.com", "name": "Ann Smith"}
    assert body["organization"] == {
        "id": organization.pk,
        "name": "Ann's Bakery",
        "base_currency": "EUR",
    }
    assert Membership.objects.get(user=user).role == Role.ADMIN
    assert user.check_password("a-long-unusual-passphrase")
    assert not contains_key(body, "password")


def test_register_tokens_work_immediately(api):
    body = api().post(REGISTER, sign_up()).json()
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert client.get("/api/v1/organization/").json()["name"] == "Ann's Bakery"
    assert api().post(REFRESH, {"refresh": body["refresh"]}).status_code == 200


def test_register_lowercases_the_email(api):
    response = api().post(REGISTER, sign_up(email="Ann@Example.COM"))
    assert response.json()["user"]["email"] == "ann@example.com"


def test_register_duplicate_email_is_400_case_insensitively(api):
    UserFactory(email="ann@example.com")
    response = api().post(REGISTER, sign_up(email="ANN@example.com"))
    assert response.status_code == 400
    assert error_attrs(response) == {"email"}
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901", "ann@example.com"],
    ids=["too-short", "common", "numeric", "similar-to-email"],
)
def test_register_applies_django_password_validators(api, password):
    response = api().post(REGISTER, sign_up(password=password))
    assert response.status_code == 400
    assert error_attrs(response) == {"password"}
    assert not User.objects.exists() and not Organization.objects.exists()


@pytest.mark.parametrize("currency", ["ZZZ", "XTS", "usd1", "", 12])
def test_register_unknown_currency_is_400(api, currency):
    response = api().post(REGISTER, sign_up(base_currency=currency))
    assert response.status_code == 400
    assert error_attrs(response) == {"base_currency"}


@pytest.mark.parametrize("missing", ["email", "password", "name", "organization_name"])
def test_register_requires_every_field(api, missing):
    data = sign_up()
    del data[missing]
    response = api().post(REGISTER, data)
    assert response.status_code == 400
    assert error_attrs(response) == {missing}


def test_register_rejects_huge_strings_without_writing(api):
    response = api().post(REGISTER, sign_up(name="x" * 100_000, organization_name="y" * 100_000))
    assert response.status_code == 400
    assert error_attrs(response) == {"name", "organization_name"}
    assert not User.objects.exists()


def test_register_is_atomic_when_a_later_step_fails(api, monkeypatch):
    def explode(self, *args, **kwargs):
        raise RuntimeError("membership write failed")

    monkeypatch.setattr(Membership, "save", explode)
    with pytest.raises(RuntimeError):
        api().post(REGISTER, sign_up())
    assert not User.objects.exists()
    assert not Organization.objects.exists()


# --- login ------------------------------------------------------------------------------


def test_login_returns_a_token_pair(api):
    UserFactory(email="bob@example.com")
    response = api().post(TOKEN, {"email": "bob@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_email_is_case_insensitive(api):
    UserFactory(email="bob@example.com")
    response = api().post(TOKEN, {"email": "BOB@Example.com", "password": PASSWORD})
    assert response.status_code == 200


def test_login_wrong_password_is_401(api):
    UserFactory(email="bob@example.com")
    response = api().post(TOKEN, {"email": "bob@example.com", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_login_inactive_user_is_401(api):
    UserFactory(email="bob@example.com", is_active=False)
    response = api().post(TOKEN, {"email": "bob@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_system_actor_cannot_log_in(api):
    actor = User.objects.system_actor()
    response = api().post(TOKEN, {"email": actor.email, "password": "!"})
    assert response.status_code == 401


def test_login_missing_fields_is_400(api):
    response = api().post(TOKEN, {})
    assert response.status_code == 400
    assert error_attrs(response) == {"email", "password"}


# --- throttling -------------------------------------------------------------------------


def attempt(client, email="bob@example.com", guess="wrong", ip="10.0.0.1", **headers):
    return client.post(TOKEN, {"email": email, "password": guess}, REMOTE_ADDR=ip, **headers)


def test_eleventh_login_attempt_in_a_minute_is_429_with_retry_after(api):
    UserFactory(email="bob@example.com")
    client = api()
    for _ in range(10):
        assert attempt(client).status_code == 401
    response = attempt(client, guess=PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert error_code(response) == "throttled"


def test_login_throttle_counts_the_email_case_insensitively(api):
    client = api()
    for index in range(10):
        attempt(client, email="Bob@example.com" if index % 2 else "bob@example.com")
    assert attempt(client, email="BOB@EXAMPLE.COM").status_code == 429


def test_login_throttle_is_per_ip_and_email_pair(api):
    UserFactory(email="bob@example.com")
    client = api()
    for _ in range(10):
        attempt(client)
    assert attempt(client).status_code == 429
    # Another account from the same machine, and the same account from elsewhere, still work.
    assert attempt(client, email="carol@example.com").status_code == 401
    assert attempt(client, ip="10.0.0.2", guess=PASSWORD).status_code == 200


def test_login_throttle_ignores_client_written_forwarded_for(api):
    client = api()
    for index in range(10):
        attempt(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    assert attempt(client, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


@override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "2/min"}}
)
def test_login_throttle_rate_comes_from_settings(api):
    client = api()
    attempt(client)
    attempt(client)
    assert attempt(client).status_code == 429


def test_register_is_throttled_too(api):
    client = api()
    for _ in range(10):
        client.post(REGISTER, sign_up(password="x"), REMOTE_ADDR="10.0.0.1")
    response = client.post(REGISTER, sign_up(), REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert not User.objects.exists()


def test_signing_up_does_not_use_up_the_login_attempts(api):
    # Sign-up and login are counted apart: after registering, a client still gets its ten
    # login attempts for the new account.
    client = api()
    assert client.post(REGISTER, sign_up(), REMOTE_ADDR="10.0.0.1").status_code == 201
    for _ in range(10):
        assert attempt(client, email="ann@example.com").status_code == 401
    assert attempt(client, email="ann@example.com").status_code == 429


# --- refresh and logout -----------------------------------------------------------------


def login(client, email="bob@example.com"):
    return client.post(TOKEN, {"email": email, "password": PASSWORD}).json()


def test_refresh_rotates_and_the_old_refresh_token_is_then_401(api):
    UserFactory(email="bob@example.com")
    pair = login(api())
    response = api().post(REFRESH, {"refresh": pair["refresh"]})
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh"] != pair["refresh"]
    reused = api().post(REFRESH, {"refresh": pair["refresh"]})
    assert reused.status_code == 401
    assert error_code(reused) == "token_not_valid"
    assert api().post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401(api):
    assert api().post(REFRESH, {"refresh": "not-a-token"}).status_code == 401


def test_logout_blacklists_the_refresh_token(api):
    user = UserFactory(email="bob@example.com")
    pair = login(api())
    response = api(user).post(LOGOUT, {"refresh": pair["refresh"]})
    assert response.status_code == 204
    assert api().post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401


def test_logout_needs_authentication(api):
    UserFactory(email="bob@example.com")
    pair = login(api())
    response = api().post(LOGOUT, {"refresh": pair["refresh"]})
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert api().post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200


def test_logout_with_an_invalid_token_is_400(api):
    user = UserFactory()
    response = api(user).post(LOGOUT, {"refresh": "garbage"})
    assert response.status_code == 400
    assert error_code(response) == "token_not_valid"


def test_logout_cannot_end_someone_elses_session(api):
    UserFactory(email="bob@example.com")
    mallory = UserFactory()
    pair = login(api())
    response = api(mallory).post(LOGOUT, {"refresh": pair["refresh"]})
    assert response.status_code == 400
    assert api().post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200


# --- me ---------------------------------------------------------------------------------


def test_me_lists_every_membership_without_x_organization(api, organization, other_organization):
    user = UserFactory(email="bob@example.com", name="Bob")
    MembershipFactory(user=user, organization=organization, role=Role.FINANCE)
    MembershipFactory(user=user, organization=other_organization, role=Role.VIEWER)
    response = api(user).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "bob@example.com",
        "email_verified": False,
        "name": "Bob",
        "memberships": [
            {"organization": {"id": organization.pk, "name": "Acme Ltd"}, "role": "finance"},
            {"organization": {"id": other_organization.pk, "name": "Other Corp"}, "role": "viewer"},
        ],
    }


def test_me_for_a_user_without_memberships(api):
    user = UserFactory()
    assert api(user).get(ME).json()["memberships"] == []


def test_me_needs_authentication(api):
    response = api().get(ME)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_me_with_an_expired_or_forged_access_token_is_401(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert client.get(ME).status_code == 401
