"""Spec 2 for customers: the role matrix, tenant isolation and X-Organization rules."""

import pytest

from accounts.models import Role
from accounts.tests.factories import MembershipFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"

READS = [("get", "list"), ("get", "detail")]
WRITES = [
    ("post", "list", {"name": "New Co"}),
    ("put", "detail", {"name": "Renamed"}),
    ("patch", "detail", {"name": "Renamed"}),
    ("delete", "detail", None),
    ("post", "restore", None),
]
EXPECTED_WRITE_STATUS = {"post": 201, "put": 200, "patch": 200, "delete": 204}


def path_for(kind, customer):
    return {
        "list": URL,
        "detail": f"{URL}{customer.pk}/",
        "restore": f"{URL}{customer.pk}/restore/",
    }[kind]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "kind"), READS)
def test_every_role_reads_customers(api, user_in, organization, role, method, kind):
    customer = CustomerFactory(organization=organization)
    response = getattr(api(user_in(role, organization)), method)(path_for(kind, customer))
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE])
@pytest.mark.parametrize(("method", "kind", "data"), WRITES)
def test_admin_and_finance_write_customers(api, user_in, organization, role, method, kind, data):
    customer = CustomerFactory(organization=organization)
    response = getattr(api(user_in(role, organization)), method)(path_for(kind, customer), data)
    expected = 200 if kind == "restore" else EXPECTED_WRITE_STATUS[method]
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("method", "kind", "data"), WRITES)
def test_viewer_cannot_write_customers(viewer_api, organization, method, kind, data):
    customer = CustomerFactory(organization=organization, name="Original")
    if kind == "restore":
        customer.archive(actor=None)
    response = getattr(viewer_api, method)(path_for(kind, customer), data)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    customer.refresh_from_db()
    assert customer.name == "Original"
    assert customer.version == (2 if kind == "restore" else 1)
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(("method", "kind", "data"), [*[(m, k, None) for m, k in READS], *WRITES])
def test_unauthenticated_is_401(api, organization, method, kind, data):
    customer = CustomerFactory(organization=organization)
    response = getattr(api(), method)(path_for(kind, customer), data)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


# --- tenant isolation -------------------------------------------------------------------


@pytest.fixture
def foreign(other_organization):
    return CustomerFactory(
        organization=other_organization,
        name="Foreign Ltd",
        email="a@foreign.example",
        tax_id="FOREIGN-1",
        currency="EUR",
    )


@pytest.mark.parametrize(
    ("method", "kind", "data"),
    [("get", "detail", None), *[w for w in WRITES if w[1] != "list"]],
)
def test_another_organizations_customer_is_404(admin_api, foreign, method, kind, data):
    response = getattr(admin_api, method)(path_for(kind, foreign), data)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    foreign.refresh_from_db()
    assert (foreign.name, foreign.version, foreign.archived_at) == ("Foreign Ltd", 1, None)


def test_archived_foreign_customer_cannot_be_restored(admin_api, foreign):
    foreign.archive(actor=None)
    assert admin_api.post(path_for("restore", foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_archived


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "Foreign"},
        {"search": "a@foreign.example"},
        {"search": "FOREIGN-1"},
        {"currency": "EUR"},
        {"archived": "true"},
        {"ordering": "-name"},
    ],
)
def test_another_organizations_customers_are_never_listed(admin_api, organization, foreign, params):
    CustomerFactory(organization=organization, name="Mine")
    if params.get("archived"):
        foreign.archive(actor=None)
    response = admin_api.get(URL, params)
    assert response.status_code == 200
    assert foreign.pk not in {row["id"] for row in response.json()["results"]}


def test_created_customer_belongs_to_the_requests_organization(
    admin_api, organization, other_organization
):
    response = admin_api.post(URL, {"name": "New", "organization": other_organization.pk})
    assert Customer.objects.get(pk=response.json()["id"]).organization == organization


# --- X-Organization ---------------------------------------------------------------------


@pytest.fixture
def two_org_user(user_in, organization, other_organization):
    user = user_in(Role.FINANCE, organization)
    MembershipFactory(user=user, organization=other_organization, role=Role.VIEWER)
    return user


def test_missing_header_with_several_memberships_is_400_organization_required(api, two_org_user):
    response = api(two_org_user).get(URL)
    assert response.status_code == 400
    assert error_code(response) == "organization_required"


def test_header_picks_the_organization_and_its_role(
    api, two_org_user, organization, other_organization
):
    mine = CustomerFactory(organization=organization)
    theirs = CustomerFactory(organization=other_organization)
    listed = api(two_org_user, organization).get(URL).json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    listed = api(two_org_user, other_organization).get(URL).json()["results"]
    assert [row["id"] for row in listed] == [theirs.pk]
    # Finance in the first organization, viewer in the second.
    assert api(two_org_user, organization).post(URL, {"name": "A"}).status_code == 201
    assert api(two_org_user, other_organization).post(URL, {"name": "B"}).status_code == 403


def test_header_for_an_organization_user_is_not_member_of_is_403(
    api, admin_user, other_organization
):
    CustomerFactory(organization=other_organization)
    response = api(admin_user, other_organization).get(URL)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


@pytest.mark.parametrize("header", ["abc", "-1", "999999", "1 OR 1=1", "9" * 500, "\u00b2"])
def test_malformed_or_unknown_header_is_403(api, admin_user, header):
    client = api(admin_user)
    response = client.get(URL, HTTP_X_ORGANIZATION=header)
    assert response.status_code == 403


def test_single_membership_works_without_header(admin_api, organization):
    CustomerFactory(organization=organization)
    assert admin_api.get(URL).json()["count"] == 1


def test_user_without_any_membership_is_403(api):
    from accounts.tests.factories import UserFactory

    assert api(UserFactory()).get(URL).status_code == 403
