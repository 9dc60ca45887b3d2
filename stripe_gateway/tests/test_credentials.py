"""Stripe credentials on `PATCH organization/`: write-only, encrypted at rest (spec 15)."""

import pytest
from cryptography.fernet import Fernet

from accounts.models import Organization
from stripe_gateway.tests.fakes import SECRET_KEY, WEBHOOK_SECRET

SECRETS = {"stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET}


def test_secrets_are_saved_encrypted_and_never_shown(encryption_key, admin_api, organization):
    response = admin_api.patch("/api/v1/organization/", SECRETS, format="json")
    assert response.status_code == 200, response.content
    assert "stripe_secret_key" not in response.json()
    assert "stripe_webhook_secret" not in response.json()
    assert SECRET_KEY not in response.content.decode()
    stored = Organization.objects.get(pk=organization.pk)
    # At rest: a Fernet token under the configured key, not the plaintext.
    assert SECRET_KEY not in stored.stripe_secret_key_encrypted
    assert Fernet(encryption_key).decrypt(stored.stripe_secret_key_encrypted.encode()) == (
        SECRET_KEY.encode()
    )
    assert stored.stripe_secret("stripe_secret_key") == SECRET_KEY
    assert stored.stripe_secret("stripe_webhook_secret") == WEBHOOK_SECRET
    read = admin_api.get("/api/v1/organization/").json()
    assert not {"stripe_secret_key", "stripe_webhook_secret"} & set(read)
    # Nor in the organization's history.
    for row in stored.history.all():
        assert not hasattr(row, "stripe_secret_key_encrypted")


def test_without_an_encryption_key_saving_secrets_is_refused(settings, admin_api, organization):
    settings.FIELD_ENCRYPTION_KEY = None
    response = admin_api.patch(
        "/api/v1/organization/", {**SECRETS, "name": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "encryption_not_configured"
    stored = Organization.objects.get(pk=organization.pk)
    # Nothing half-written: neither the secrets nor the other field.
    assert stored.name == "Acme Ltd"
    assert stored.stripe_secret_key_encrypted == ""
    # Other settings still save without the key.
    assert admin_api.patch("/api/v1/organization/", {"name": "X"}, format="json").status_code == 200


def test_a_blank_secret_disconnects(encryption_key, admin_api, organization):
    admin_api.patch("/api/v1/organization/", SECRETS, format="json")
    response = admin_api.patch("/api/v1/organization/", {"stripe_secret_key": ""}, format="json")
    assert response.status_code == 200
    stored = Organization.objects.get(pk=organization.pk)
    assert stored.stripe_secret("stripe_secret_key") == ""
    assert stored.stripe_secret("stripe_webhook_secret") == WEBHOOK_SECRET


@pytest.mark.parametrize(
    "field, value",
    [("stripe_secret_key", "pk_test_publishable"), ("stripe_webhook_secret", "secret")],
)
def test_malformed_secrets_are_refused(encryption_key, admin_api, organization, field, value):
    response = admin_api.patch("/api/v1/organization/", {field: value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == field
    assert Organization.objects.get(pk=organization.pk).stripe_secret_key_encrypted == ""


def test_only_admins_set_secrets(encryption_key, finance_api, organization):
    response = finance_api.patch("/api/v1/organization/", SECRETS, format="json")
    assert response.status_code == 403
    assert Organization.objects.get(pk=organization.pk).stripe_secret_key_encrypted == ""


def test_rotation_reads_old_tokens_and_reencrypts_under_the_new_key(
    settings, encryption_key, organization
):
    from io import StringIO

    from django.core.management import call_command

    from stripe_gateway.tests.fakes import connect

    connect(organization)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{encryption_key}"
    assert Organization.objects.get(pk=organization.pk).stripe_secret("stripe_secret_key") == (
        SECRET_KEY
    )
    call_command("reencrypt_secrets", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEY = new_key
    stored = Organization.objects.get(pk=organization.pk)
    assert stored.stripe_secret("stripe_secret_key") == SECRET_KEY
    assert stored.stripe_secret("stripe_webhook_secret") == WEBHOOK_SECRET
