"""GET/PATCH organization/: any member reads, only admins write, every field validated."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Organization, Role
from accounts.tests.factories import MembershipFactory, UserFactory
from fintrack.tests.helpers import error_attrs, error_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/organization/"

FIELDS = {
    "id",
    "name",
    "base_currency",
    "invoice_prefix",
    "credit_note_prefix",
    "payment_terms_days",
    "reminder_days",
    "time_zone",
    "locale",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "tax_id",
    "email",
    "iban",
    "bic",
    "payment_instructions",
}


@pytest.mark.parametrize("role", Role.values)
def test_every_member_reads_the_current_organization_with_spec_fields(
    api, user_in, organization, role
):
    response = api(user_in(role, organization)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"] == organization.pk
    assert body["invoice_prefix"] == "INV"
    assert body["payment_terms_days"] == 30
    assert body["reminder_days"] == [-3, 0, 7, 14, 30]
    assert body["time_zone"] == "UTC"
    assert body["locale"] == "en_US"


def test_the_organization_is_chosen_by_x_organization(api, user_in, organization):
    user = user_in(Role.VIEWER, organization)
    second = MembershipFactory(user=user, role=Role.VIEWER).organization
    assert api(user, second).get(URL).json()["id"] == second.pk
    assert api(user, organization).get(URL).json()["id"] == organization.pk


def test_organization_of_which_user_is_not_a_member_is_403(api, admin_user, other_organization):
    response = api(admin_user, other_organization).get(URL)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


def test_admin_patches_settings(admin_api, organization):
    changes = {
        "name": "Acme Holdings",
        "base_currency": "eur",
        "invoice_prefix": "ACME-2025",
        "credit_note_prefix": "ACME-CN",
        "payment_terms_days": 14,
        "reminder_days": [10, -1, 0],
        "time_zone": "Europe/Paris",
        "locale": "fr_FR",
        "address_line1": "1 Rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "region": "IDF",
        "country": "FR",
        "tax_id": "FR40303265045",
        "email": "billing@acme.example",
    }
    response = admin_api.patch(URL, changes)
    assert response.status_code == 200, response.json()
    organization.refresh_from_db()
    assert organization.base_currency == "EUR"
    assert organization.reminder_days == [-1, 0, 10]
    assert organization.time_zone == "Europe/Paris"
    assert organization.locale == "fr_FR"
    assert response.json()["name"] == "Acme Holdings"


def test_patch_is_attributed_to_the_admin_in_history(admin_api, admin_user, organization):
    admin_api.patch(URL, {"name": "Renamed"})
    assert organization.history.latest().history_user == admin_user


@pytest.mark.parametrize("role", [Role.FINANCE, Role.VIEWER])
def test_non_admins_cannot_patch_the_organization(api, user_in, organization, role):
    response = api(user_in(role, organization)).patch(URL, {"name": "Hijacked"})
    assert response.status_code == 403
    organization.refresh_from_db()
    assert organization.name == "Acme Ltd"


def test_put_and_delete_are_not_allowed(admin_api):
    assert error_code(admin_api.put(URL, {"name": "X"})) == "method_not_allowed"
    assert admin_api.delete(URL).status_code == 405


def test_unauthenticated_is_401(api):
    assert api().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 100_000),
        ("base_currency", "ZZZ"),
        ("base_currency", 840),
        ("invoice_prefix", "INV/2025"),
        ("invoice_prefix", ""),
        ("invoice_prefix", "X" * 11),
        ("credit_note_prefix", "CN 1"),
        ("credit_note_prefix", ""),
        ("credit_note_prefix", "X" * 11),
        ("payment_terms_days", -1),
        ("payment_terms_days", 366),
        ("payment_terms_days", "soon"),
        ("payment_terms_days", 10**30),
        ("reminder_days", "-3,0"),
        ("reminder_days", [1, 1]),
        ("reminder_days", [400]),
        ("reminder_days", ["x"]),
        ("reminder_days", [1.5]),
        ("reminder_days", list(range(50))),
        ("time_zone", "Mars/Olympus"),
        ("time_zone", ""),
        ("locale", "xx_YY"),
        ("locale", "not a locale"),
        ("country", "XX"),
        ("country", "fra"),
        ("email", "not-an-email"),
        ("address_line1", "a" * 201),
    ],
)
def test_invalid_settings_are_400_on_that_field_and_not_saved(
    admin_api, organization, field, value
):
    before = admin_api.get(URL).json()
    response = admin_api.patch(URL, {field: value})
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert error_attrs(response) <= {field, f"{field}.0", *(f"{field}.{i}" for i in range(60))}
    assert admin_api.get(URL).json() == before


def test_empty_reminder_schedule_is_allowed(admin_api, organization):
    assert admin_api.patch(URL, {"reminder_days": []}).status_code == 200
    organization.refresh_from_db()
    assert organization.reminder_days == []


def test_read_only_id_is_ignored(admin_api, organization, other_organization):
    response = admin_api.patch(URL, {"id": other_organization.pk, "name": "Kept"})
    assert response.json()["id"] == organization.pk
    other_organization.refresh_from_db()
    assert other_organization.name == "Other Corp"


def test_register_creates_the_organization_with_its_first_admin_atomically(db):
    user = UserFactory()
    organization = Organization.register(admin=user, name="Ann Consulting", base_currency="EUR")
    assert list(organization.memberships.values_list("user", "role")) == [(user.pk, Role.ADMIN)]
    assert organization.history.get().history_user == user
    assert organization.memberships.get().history.get().history_user == user
    with pytest.raises(ValidationError):
        Organization.register(
            admin=user, name="Bad prefix", base_currency="EUR", invoice_prefix="a b"
        )
    assert Organization.objects.count() == 1
