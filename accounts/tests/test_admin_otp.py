"""Spec 20: staff sign in to the admin with a TOTP code (django-otp) when
ADMIN_REQUIRE_OTP is on, and the admin login throttle still counts every attempt."""

import io
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import PASSWORD, UserFactory
from fintrack.tests.test_settings import PRODUCTION_SECRET, manage

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
EMAIL = "staff@example.com"
REQUIRED = override_settings(ADMIN_REQUIRE_OTP=True)


@pytest.fixture
def staff_member():
    return UserFactory(email=EMAIL, is_staff=True, is_superuser=True)


@pytest.fixture
def device(staff_member):
    return TOTPDevice.objects.create(user=staff_member, name="phone", confirmed=True)


def current_token(device) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    return f"{value:0{device.digits}d}"


def admin_login(client, password=PASSWORD, token=None, ip="10.0.0.1"):
    data = {"username": EMAIL, "password": password, "next": "/admin/"}
    if token is not None:
        data["otp_token"] = token
    return client.post(LOGIN, data, REMOTE_ADDR=ip)


def logged_in(client):
    return "_auth_user_id" in client.session


@REQUIRED
def test_the_login_page_asks_for_a_code(client):
    assert b'name="otp_token"' in client.get(LOGIN).content


@REQUIRED
def test_the_right_password_and_code_sign_in(client, device):
    # One device: no need to choose it.
    response = admin_login(client, token=current_token(device))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@REQUIRED
def test_with_several_devices_the_chosen_one_checks_the_code(client, device, staff_member):
    TOTPDevice.objects.create(user=staff_member, name="spare", confirmed=True)
    data = {
        "username": EMAIL,
        "password": PASSWORD,
        "otp_device": device.persistent_id,
        "otp_token": current_token(device),
    }
    assert client.post(LOGIN, data, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert logged_in(client)


@REQUIRED
@pytest.mark.parametrize("token", [None, "", "000000x", "12"])
def test_the_right_password_without_a_good_code_is_refused(client, device, token):
    response = admin_login(client, token=token)
    assert response.status_code == 200  # the form again, with its error
    assert not logged_in(client)


@REQUIRED
def test_a_wrong_code_is_refused(client, device):
    right = current_token(device)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    assert admin_login(client, token=wrong).status_code == 200
    assert not logged_in(client)


@REQUIRED
def test_a_session_that_skipped_the_code_is_not_let_in(client, staff_member):
    # Signed in some other way (no TOTP check): treated as not staff, sent to the login.
    client.force_login(staff_member)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@REQUIRED
def test_the_login_throttle_counts_otp_logins_too(client, device):
    for _ in range(10):
        assert admin_login(client, password="wrong", token="123456").status_code == 200
    response = admin_login(client, token=current_token(device))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not logged_in(client)


def test_without_the_setting_password_alone_signs_in(client, staff_member):
    # Tests, `make run` and DEBUG default to off (see test_settings for production).
    assert admin_login(client).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_add_totp_device_prints_a_working_otpauth_url(staff_member):
    out, err = io.StringIO(), io.StringIO()
    call_command("add_totp_device", EMAIL.upper(), stdout=out, stderr=err)
    url = urlparse(out.getvalue().strip())
    assert url.scheme == "otpauth"
    assert url.netloc == "totp"
    query = parse_qs(url.query)
    assert query["issuer"] == ["FinTrack"]
    device = TOTPDevice.objects.get(user=staff_member)
    assert device.confirmed
    assert device.verify_token(current_token(device))


def test_add_totp_device_refuses_unknown_and_non_staff_users():
    UserFactory(email="plain@example.com", is_staff=False)
    with pytest.raises(CommandError, match="No active user"):
        call_command("add_totp_device", "nobody@example.com", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not staff"):
        call_command("add_totp_device", "plain@example.com", stdout=io.StringIO())
    assert not TOTPDevice.objects.exists()


def test_production_requires_otp_and_development_does_not():
    show = "from django.conf import settings; print(settings.ADMIN_REQUIRE_OTP)"
    production = manage("shell", "-v", "0", "-c", show, SECRET_KEY=PRODUCTION_SECRET)
    assert production.stdout.split() == ["True"], production.stderr
    development = manage("shell", "-v", "0", "-c", show, DEBUG="1")
    assert development.stdout.split() == ["False"], development.stderr
    switched_off = manage(
        "shell", "-v", "0", "-c", show, SECRET_KEY=PRODUCTION_SECRET, ADMIN_REQUIRE_OTP="0"
    )
    assert switched_off.stdout.split() == ["False"], switched_off.stderr
