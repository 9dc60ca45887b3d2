"""Idempotency-Key on every POST (spec 11), exercised through real endpoints with JWTs."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from api.models import IdempotencyKey, IdempotencyKeyStatus
from fintrack.tests.races import raised, run_at_once
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def pay_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/pay/"


def post(api, url, body, key="key-1", **headers):
    return api.post(url, body, HTTP_IDEMPOTENCY_KEY=key, **headers)


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def test_repeat_replays_same_status_and_body_without_paying_twice(finance_api, invoice):
    body = {"amount": "10.00", "method": "card"}
    first = post(finance_api, pay_url(invoice), body)
    second = post(finance_api, pay_url(invoice), body)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("10.00")


def test_same_key_with_different_body_is_422_idempotency_key_reused(finance_api, invoice):
    post(finance_api, pay_url(invoice), {"amount": "10.00", "method": "card"})
    response = post(finance_api, pay_url(invoice), {"amount": "20.00", "method": "card"})
    assert response.status_code == 422
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {"code": "idempotency_key_reused", "detail": response.json()["errors"][0]["detail"],
             "attr": None}
        ],
    }  # fmt: skip
    assert Payment.objects.count() == 1


def test_same_key_on_different_path_is_422(finance_api, invoice, organization):
    other = InvoiceFactory(organization=organization, sent=True)
    post(finance_api, pay_url(invoice), {"amount": "10.00", "method": "card"})
    response = post(finance_api, pay_url(other), {"amount": "10.00", "method": "card"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_keys_are_scoped_per_user(api, user_in, organization, invoice):
    body = {"amount": "10.00", "method": "card"}
    alice, bob = user_in(Role.FINANCE, organization), user_in(Role.FINANCE, organization)
    assert post(api(alice), pay_url(invoice), body).status_code == 201
    response = post(api(bob), pay_url(invoice), body)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Payment.objects.count() == 2


def test_keys_are_scoped_per_organization(api, organization, other_organization):
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role=Role.FINANCE)
    MembershipFactory(user=user, organization=other_organization, role=Role.FINANCE)
    mine = InvoiceFactory(organization=organization, sent=True)
    theirs = InvoiceFactory(organization=other_organization, sent=True)
    # Same path shape, same body: only the organization differs.
    body = {"amount": "10.00", "method": "card"}
    assert post(api(user, organization), pay_url(mine), body).status_code == 201
    assert post(api(user, other_organization), pay_url(theirs), body).status_code == 201
    assert Payment.objects.count() == 2


def test_client_errors_are_replayed_even_after_the_state_changed(
    finance_api, finance_user, organization
):
    draft = InvoiceFactory(organization=organization)
    body = {"amount": "10.00", "method": "card"}
    first = post(finance_api, pay_url(draft), body)
    assert first.status_code == 409
    draft.send(actor=finance_user)
    second = post(finance_api, pay_url(draft), body)
    assert second.status_code == 409
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert not Payment.objects.exists()


def test_server_errors_are_not_stored_and_release_the_key(finance_user, invoice, api, monkeypatch):
    client = api(finance_user)
    client.raise_request_exception = False
    real_pay = Payment.pay

    def broken_pay(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(Payment, "pay", broken_pay)
    body = {"amount": "10.00", "method": "card"}
    assert post(client, pay_url(invoice), body).status_code == 500
    assert not IdempotencyKey.objects.exists()

    monkeypatch.setattr(Payment, "pay", real_pay)
    response = post(client, pay_url(invoice), body)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_request_still_running_answers_409_idempotency_key_in_use(
    finance_api, invoice, monkeypatch
):
    """A second request arriving while the first is inside the view finds the key claimed."""
    body = {"amount": "10.00", "method": "card"}
    real_pay = Payment.pay
    seen = {}

    def pay_while_retried(*args, **kwargs):
        seen["retry"] = post(finance_api, pay_url(invoice), body)
        return real_pay(*args, **kwargs)

    monkeypatch.setattr(Payment, "pay", pay_while_retried)
    assert post(finance_api, pay_url(invoice), body).status_code == 201
    retry = seen["retry"]
    assert retry.status_code == 409
    assert retry.json()["errors"][0]["code"] == "idempotency_key_in_use"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("with_bearer", [False, True])
def test_token_endpoints_ignore_the_header_and_never_replay_tokens(api, organization, with_bearer):
    """Answers carrying credentials are never stored: a repeat with the key is a new login
    or refresh (its own tokens), never the first answer's tokens handed out again."""
    user = UserFactory(email="login@example.com")
    MembershipFactory(user=user, organization=organization)
    client = api(user) if with_bearer else api()
    login = {"email": "login@example.com", "password": PASSWORD}
    first = post(client, "/api/v1/auth/token/", login, key="login-1")
    second = post(client, "/api/v1/auth/token/", login, key="login-1")
    assert first.status_code == second.status_code == 200, first.content
    assert "Idempotent-Replayed" not in second
    assert second.json()["refresh"] != first.json()["refresh"]

    refresh = {"refresh": first.json()["refresh"]}
    rotated = post(client, "/api/v1/auth/token/refresh/", refresh, key="refresh-1")
    replay = post(client, "/api/v1/auth/token/refresh/", refresh, key="refresh-1")
    assert rotated.status_code == 200
    # The refresh token was rotated: a repeat is refused, and carries no token.
    assert replay.status_code == 401
    assert "Idempotent-Replayed" not in replay
    assert "access" not in replay.json() and "refresh" not in replay.json()

    signup = {
        "email": "new@example.com",
        "password": PASSWORD,
        "name": "New",
        "organization_name": "New Co",
        "base_currency": "USD",
    }
    created = post(client, "/api/v1/auth/register/", signup, key="signup-1")
    again = post(client, "/api/v1/auth/register/", signup, key="signup-1")
    assert created.status_code == 201, created.content
    assert again.status_code == 400  # the e-mail is taken now; no tokens replayed
    assert "access" not in again.content.decode()
    assert not IdempotencyKey.objects.exists()


def test_anonymous_requests_ignore_the_header(api, invoice):
    """Without a user there is no one a key could belong to: nothing is remembered."""
    response = post(api(), pay_url(invoice), {"amount": "1.00", "method": "card"})
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_invalid_bearer_token_is_401_and_not_remembered(invoice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = post(client, pay_url(invoice), {"amount": "1.00", "method": "card"})
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_posts_without_the_header_and_other_methods_are_not_recorded(finance_api, invoice):
    body = {"amount": "10.00", "method": "card"}
    finance_api.post(pay_url(invoice), body)
    finance_api.post(pay_url(invoice), body)
    finance_api.get("/api/v1/payments/", HTTP_IDEMPOTENCY_KEY="key-1")
    assert Payment.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["x" * 256, "bad\tkey"])
def test_malformed_key_is_400(finance_api, invoice, key):
    response = post(finance_api, pay_url(invoice), {"amount": "1.00", "method": "card"}, key=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_idempotency_key"
    assert not Payment.objects.exists()


def test_expired_key_is_ignored_and_the_request_runs_again(finance_api, invoice, settings):
    body = {"amount": "10.00", "method": "card"}
    post(finance_api, pay_url(invoice), body)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = post(finance_api, pay_url(invoice), body)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Payment.objects.count() == 2
    assert IdempotencyKey.objects.get().status == IdempotencyKeyStatus.COMPLETED


def test_purge_deletes_only_expired_keys_and_prints_the_count(finance_api, invoice):
    for key in ["old-1", "old-2", "fresh"]:
        post(finance_api, pay_url(invoice), {"amount": "1.00", "method": "card"}, key=key)
    IdempotencyKey.objects.exclude(key="fresh").update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    out = StringIO()
    call_command("purge_idempotency_keys", "--dry-run", stdout=out)
    assert "2 expired" in out.getvalue()
    assert IdempotencyKey.objects.count() == 3
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 2 idempotency key(s)" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_requests_with_one_key_pay_once(api, user_in, organization):
    user = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    clients = [api(user) for _ in range(10)]

    def pay(client):
        return post(client, pay_url(invoice), {"amount": "10.00", "method": "card"}, key="race")

    responses = run_at_once(pay, clients)
    assert raised(responses) == []

    statuses = sorted(response.status_code for response in responses)
    assert len(statuses) == 10
    assert set(statuses) <= {201, 409}
    assert Payment.objects.count() == 1
    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(originals) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["errors"][0]["code"] == "idempotency_key_in_use"
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("10.00")


def test_omitted_organization_header_shares_the_key_with_the_explicit_one(
    api, finance_user, organization, invoice
):
    """With one membership the header is optional, and both forms mean the same
    organization: the repeat is a replay, not a second payment."""
    body = {"amount": "10.00", "method": "card"}
    assert post(api(finance_user), pay_url(invoice), body).status_code == 201
    response = post(api(finance_user, organization), pay_url(invoice), body)
    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_at_once_with_two_different_bodies_pays_once_and_refuses_the_other(
    api, user_in, organization
):
    user = user_in(Role.FINANCE, organization)
    for round_number in range(5):
        invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
        bodies = [{"amount": "10.00", "method": "card"}, {"amount": "20.00", "method": "card"}]
        url, key = pay_url(invoice), f"key-{round_number}"

        def pay(client_and_body, url=url, key=key):
            client, body = client_and_body
            return post(client, url, body, key=key)

        responses = run_at_once(pay, [(api(user), body) for body in bodies])
        assert raised(responses) == []

        # Exactly one body did the work; the other is told the key belongs to another request
        # (whether the first is still running or done), never a second payment.
        assert sorted(r.status_code for r in responses) == [201, 422]
        refused = next(r for r in responses if r.status_code == 422)
        assert refused.json()["errors"][0]["code"] == "idempotency_key_reused"
        paid = next(r for r in responses if r.status_code == 201).json()["amount"]
        assert Payment.objects.filter(invoice=invoice).count() == 1
        assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal(paid)
