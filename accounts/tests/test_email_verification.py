"""Spec 20: e-mail verification with a 6-digit code, and EMAIL_VERIFICATION=required
keeping unverified users away from sending invoices and moving money."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.exceptions import EmailNotVerified
from accounts.models import EmailVerification, Role, User
from accounts.tests.factories import MembershipFactory, UserFactory
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/verify-email/resend/"
ME = "/api/v1/auth/me/"
REQUIRED = override_settings(EMAIL_VERIFICATION="required")


def error_codes(response):
    return [error["code"] for error in response.json()["errors"]]


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def signed_up(api, django_capture_on_commit_callbacks):
    """A fresh sign-up: (its API client, its user, the code e-mailed)."""
    body = {
        "email": "new@example.com",
        "password": "a-long-enough-passphrase",
        "name": "New",
        "organization_name": "New Co",
        "base_currency": "USD",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api().post(REGISTER, body)
    assert response.status_code == 201
    user = User.objects.get(email="new@example.com")
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    mail.outbox.clear()
    return api(user), user, code_in(message)


def test_sign_up_mails_a_code_stored_only_as_a_hash(signed_up):
    client, user, code = signed_up
    assert not user.email_verified
    stored = EmailVerification.objects.get(user=user)
    assert code not in stored.code_hash
    assert client.get(ME).json()["email_verified"] is False


def test_the_right_code_verifies_the_address(signed_up):
    client, user, code = signed_up
    assert client.post(VERIFY, {"code": code}).status_code == 204
    user.refresh_from_db()
    assert user.email_verified
    assert client.get(ME).json()["email_verified"] is True
    assert not EmailVerification.objects.filter(user=user).exists()
    # Asking again once verified is harmless.
    assert client.post(VERIFY, {"code": code}).status_code == 204


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_wrong_code_is_invalid_code_and_counts(signed_up):
    client, user, code = signed_up
    response = client.post(VERIFY, {"code": wrong(code)})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]
    assert EmailVerification.objects.get(user=user).attempts == 1
    user.refresh_from_db()
    assert not user.email_verified


def test_after_five_wrong_codes_even_the_right_one_is_code_expired(signed_up):
    client, user, code = signed_up
    for _ in range(5):
        assert error_codes(client.post(VERIFY, {"code": wrong(code)})) == ["invalid_code"]
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert error_codes(response) == ["code_expired"]
    user.refresh_from_db()
    assert not user.email_verified


def test_wrong_codes_sent_with_idempotency_keys_still_count(signed_up):
    client, user, code = signed_up
    for attempt in range(5):
        client.post(VERIFY, {"code": wrong(code)}, HTTP_IDEMPOTENCY_KEY=f"k{attempt}")
    assert EmailVerification.objects.get(user=user).attempts == 5
    assert error_codes(client.post(VERIFY, {"code": code}, HTTP_IDEMPOTENCY_KEY="k9")) == [
        "code_expired"
    ]


@pytest.mark.parametrize("malformed", [0, 123456, "12345", "1234567", "12 456", "١٢٣٤٥٦", None])
def test_a_code_that_is_not_six_digits_as_a_string_is_a_validation_error(signed_up, malformed):
    client, user, _ = signed_up
    response = client.post(VERIFY, {"code": malformed}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "code"
    user.refresh_from_db()
    assert not user.email_verified


def test_a_code_older_than_24_hours_is_code_expired(signed_up):
    client, user, code = signed_up
    verification = EmailVerification.objects.get(user=user)
    verification.created_at -= timedelta(hours=24, seconds=1)
    verification.save()
    response = client.post(VERIFY, {"code": code})
    assert error_codes(response) == ["code_expired"]


def test_resend_mails_a_new_code_and_the_old_one_stops_working(
    signed_up, django_capture_on_commit_callbacks
):
    client, _, old_code = signed_up
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND)
    assert response.status_code == 202
    new_code = code_in(mail.outbox[0])
    if new_code != old_code:  # one chance in a million that they are equal
        assert error_codes(client.post(VERIFY, {"code": old_code})) == ["invalid_code"]
    assert client.post(VERIFY, {"code": new_code}).status_code == 204


def test_resend_is_throttled(signed_up):
    client, _, _ = signed_up
    answers = [client.post(RESEND).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]


def test_verification_needs_a_login(api):
    assert api().post(VERIFY, {"code": "123456"}).status_code == 401
    assert api().post(RESEND).status_code == 401


def test_existing_users_were_marked_verified_by_the_migration():
    # The migration's function, run on a user made before it existed.
    from importlib import import_module

    from django.apps import apps

    migration = import_module("accounts.migrations.0002_email_verification")
    user = UserFactory()
    assert not user.email_verified
    migration.mark_existing_users_verified(apps, None)
    user.refresh_from_db()
    assert user.email_verified


def test_seed_demo_users_are_verified():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    demo = User.objects.exclude(email=User.objects.system_actor().email)
    assert demo.exists()
    assert all(user.email_verified for user in demo)


# --- EMAIL_VERIFICATION=required --------------------------------------------------------


@pytest.fixture
def unverified(organization):
    user = UserFactory(email_verified=False, is_staff=True)
    MembershipFactory(user=user, organization=organization, role=Role.FINANCE)
    return user


@pytest.fixture
def verified(organization):
    user = UserFactory(email_verified=True, is_staff=True)
    MembershipFactory(user=user, organization=organization, role=Role.FINANCE)
    return user


def money_commands(organization):
    """(path, body) of each money command, on fresh invoices."""
    draft = InvoiceFactory(organization=organization, total="100.00")
    sent = InvoiceFactory(organization=organization, sent=True, total="100.00")
    paid = InvoiceFactory(organization=organization, sent=True, total="100.00")
    reversible = InvoiceFactory(organization=organization, sent=True, total="100.00")
    system = User.objects.system_actor()
    Payment.pay(paid, amount=Decimal("50.00"), method="bank_transfer", actor=system)
    payment = Payment.pay(reversible, amount=Decimal("50.00"), method="cash", actor=system)
    return [
        (f"/api/v1/invoices/{draft.pk}/send/", {}),
        (f"/api/v1/invoices/{sent.pk}/pay/", {"amount": "10.00", "method": "cash"}),
        (f"/api/v1/invoices/{paid.pk}/refund/", {"amount": "5.00"}),
        (f"/api/v1/payments/{payment.pk}/reverse/", {"reason": "bounced"}),
    ]


@REQUIRED
def test_required_refuses_every_money_command_to_an_unverified_user(api, organization, unverified):
    commands = money_commands(organization)
    payments_before = Payment.objects.count()
    for path, body in commands:
        response = api(unverified).post(path, body)
        assert response.status_code == 403, path
        assert error_codes(response) == ["email_not_verified"], path
    assert Payment.objects.count() == payments_before
    assert Invoice.objects.filter(status=InvoiceStatus.DRAFT).count() == 1


@REQUIRED
def test_required_lets_a_verified_user_move_money(api, organization, verified):
    statuses = [
        api(verified).post(path, body).status_code for path, body in money_commands(organization)
    ]
    assert statuses == [200, 201, 201, 201]


@REQUIRED
def test_required_still_lets_an_unverified_user_sign_in_and_read(api, organization, unverified):
    client = api(unverified)
    assert client.get("/api/v1/invoices/").status_code == 200
    assert client.get(ME).status_code == 200
    draft = InvoiceFactory(organization=organization, total="10.00")
    # Not a money command: voiding a draft.
    assert client.post(f"/api/v1/invoices/{draft.pk}/void/", {"reason": "dup"}).status_code == 200


def test_optional_blocks_nothing(api, organization, unverified):
    statuses = [
        api(unverified).post(path, body).status_code for path, body in money_commands(organization)
    ]
    assert statuses == [200, 201, 201, 201]


@REQUIRED
def test_required_refuses_the_admins_money_actions_to_an_unverified_user(
    client, organization, unverified
):
    client.force_login(unverified)
    draft = InvoiceFactory(organization=organization, total="100.00")
    sent = InvoiceFactory(organization=organization, sent=True, total="100.00")
    changelist = reverse("admin:invoices_invoice_changelist")
    response = client.post(
        changelist, {"action": "send", "_selected_action": [draft.pk]}, follow=True
    )
    assert "Verify your e-mail address" in response.content.decode()
    response = client.post(
        changelist,
        {
            "action": "record_payment",
            "_selected_action": [sent.pk],
            "amount": "20.00",
            "method": "bank_transfer",
            "apply": "1",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert not Payment.objects.filter(invoice=sent).exists()
    payment = Payment.pay(
        sent, amount=Decimal("10.00"), method="cash", actor=User.objects.system_actor()
    )
    client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "reverse", "_selected_action": [payment.pk], "reason": "x", "apply": "1"},
    )
    assert not Payment.objects.filter(reverses=payment).exists()


@REQUIRED
def test_required_lets_a_verified_staff_member_act_in_the_admin(client, organization, verified):
    client.force_login(verified)
    draft = InvoiceFactory(organization=organization, total="100.00")
    client.post(
        reverse("admin:invoices_invoice_changelist"),
        {"action": "send", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.SENT


def test_ensure_email_verified_is_the_one_rule():
    user = User(email="x@example.com", email_verified=False)
    user.ensure_email_verified()  # optional: nothing happens
    with override_settings(EMAIL_VERIFICATION="required"):
        with pytest.raises(EmailNotVerified):
            user.ensure_email_verified()
        user.email_verified = True
        user.ensure_email_verified()
