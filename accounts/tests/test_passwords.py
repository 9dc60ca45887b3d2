"""Spec 20: password change (204), reset by e-mail (202 alike for anyone) and its
single-use, one-hour token."""

import re
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.passwords import reset_token_for
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/password/"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
LOGIN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


def error_codes(response):
    return [error["code"] for error in response.json()["errors"]]


def can_log_in(api, email, password):
    return api().post(LOGIN, {"email": email, "password": password}).status_code == 200


# --- change -------------------------------------------------------------------------------


def test_change_with_the_right_current_password_is_204_and_the_new_one_works(api):
    user = UserFactory(email="ann@example.com")
    response = api(user).post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert can_log_in(api, "ann@example.com", NEW_PASSWORD)
    assert not can_log_in(api, "ann@example.com", PASSWORD)


def test_change_with_a_wrong_current_password_is_400_and_changes_nothing(api):
    user = UserFactory(email="ann@example.com")
    response = api(user).post(CHANGE, {"current_password": "nope", "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert error_codes(response) == ["wrong_password"]
    assert response.json()["errors"][0]["attr"] == "current_password"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["short", "12345678901", "password123", "ann@example.com"])
def test_change_to_a_weak_password_is_refused_by_djangos_validators(api, weak):
    user = UserFactory(email="ann@example.com", name="Ann")
    response = api(user).post(CHANGE, {"current_password": PASSWORD, "new_password": weak})
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_needs_a_login(api):
    response = api().post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 401


def test_guessing_the_current_password_is_throttled_like_a_login(api):
    user = UserFactory(email="ann@example.com")
    client = api(user)
    for _ in range(10):
        client.post(CHANGE, {"current_password": "nope", "new_password": NEW_PASSWORD})
    response = client.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_guess_with_an_idempotency_key_still_counts(api):
    # A request-wide transaction would roll the throttle's counter back with the refusal.
    user = UserFactory(email="ann@example.com")
    client = api(user)
    for attempt in range(10):
        client.post(
            CHANGE,
            {"current_password": "nope", "new_password": NEW_PASSWORD},
            HTTP_IDEMPOTENCY_KEY=f"guess-{attempt}",
        )
    response = client.post(
        CHANGE,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        HTTP_IDEMPOTENCY_KEY="guess-last",
    )
    assert response.status_code == 429


# --- reset ------------------------------------------------------------------------------


def reset_token_from(message) -> str:
    return re.search(r"token=([A-Za-z0-9_\-.]+)", message.body).group(1)


@override_settings(PASSWORD_RESET_URL="https://app.example.com/reset#t={token}&x=1")
def test_reset_mails_a_link_built_from_the_url_template(api, django_capture_on_commit_callbacks):
    UserFactory(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = api().post(RESET, {"email": "ANN@example.com"})
    assert response.status_code == 202
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    link = re.search(r"https://app\.example\.com/reset#t=(\S+)&x=1", message.body)
    assert link is not None


def test_reset_answers_the_same_for_unknown_addresses_and_sends_nothing(
    api, django_capture_on_commit_callbacks
):
    UserFactory(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = api().post(RESET, {"email": "ann@example.com"}, REMOTE_ADDR="10.0.0.1")
        unknown = api().post(RESET, {"email": "bob@example.com"}, REMOTE_ADDR="10.0.0.1")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1


def test_reset_requests_are_throttled(api):
    UserFactory(email="ann@example.com")
    answers = [api().post(RESET, {"email": "ann@example.com"}).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]


def test_confirm_sets_the_password_and_ends_every_session(api, django_capture_on_commit_callbacks):
    user = UserFactory(email="ann@example.com")
    old_session = api().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).json()
    with django_capture_on_commit_callbacks(execute=True):
        api().post(RESET, {"email": "ann@example.com"})
    token = reset_token_from(mail.outbox[0])
    response = api().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert can_log_in(api, "ann@example.com", NEW_PASSWORD)
    # The refresh token issued before the reset is dead.
    assert api().post(REFRESH, {"refresh": old_session["refresh"]}).status_code == 401
    assert BlacklistedToken.objects.filter(token__user=user).count() >= 1


def test_a_token_works_once(api):
    user = UserFactory(email="ann@example.com")
    token = reset_token_for(user)
    assert api().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    again = api().post(CONFIRM, {"token": token, "new_password": "yet-another-passphrase-7"})
    assert again.status_code == 400
    assert error_codes(again) == ["invalid_token"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_token_expires_after_an_hour(api, monkeypatch):
    user = UserFactory(email="ann@example.com")
    token = reset_token_for(user)
    # Django's token clock is naive local time (tokens.PasswordResetTokenGenerator._now).
    later = datetime.now() + timedelta(seconds=3601)
    monkeypatch.setattr(
        "django.contrib.auth.tokens.PasswordResetTokenGenerator._now", lambda self: later
    )
    response = api().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_token"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("token", ["", "garbage", "MQ.abc-def", "!!.x", "x" * 199, "Zm9v.1-2"])
def test_malformed_or_forged_tokens_are_invalid_token(api, token):
    UserFactory(email="ann@example.com")
    response = api().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    codes = error_codes(response)
    assert codes in (["invalid_token"], ["blank"])


def test_another_users_token_does_not_work_for_me(api):
    ann = UserFactory(email="ann@example.com")
    bob = UserFactory(email="bob@example.com")
    ann_secret = reset_token_for(ann).split(".", 1)[1]
    bob_uid = reset_token_for(bob).split(".", 1)[0]
    response = api().post(
        CONFIRM, {"token": f"{bob_uid}.{ann_secret}", "new_password": NEW_PASSWORD}
    )
    assert error_codes(response) == ["invalid_token"]


def test_confirm_with_a_weak_password_keeps_the_token_usable(api):
    user = UserFactory(email="ann@example.com")
    token = reset_token_for(user)
    weak = api().post(CONFIRM, {"token": token, "new_password": "123"})
    assert weak.status_code == 400
    assert {error["attr"] for error in weak.json()["errors"]} == {"new_password"}
    assert api().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD}).status_code == 204


def test_reset_revokes_only_that_users_tokens(api):
    ann = UserFactory(email="ann@example.com")
    UserFactory(email="bob@example.com")
    bob_session = api().post(LOGIN, {"email": "bob@example.com", "password": PASSWORD}).json()
    api().post(CONFIRM, {"token": reset_token_for(ann), "new_password": NEW_PASSWORD})
    assert api().post(REFRESH, {"refresh": bob_session["refresh"]}).status_code == 200
