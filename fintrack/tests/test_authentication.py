"""`api.authentication`: with `X-Organization` the user comes with its membership in
one query; every refusal the library's own lookup makes still happens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/"


def test_a_member_is_read_with_the_membership_in_one_query(api, user_in, organization):
    client = api(user_in(Role.VIEWER, organization), organization)
    client.get(INVOICES)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(INVOICES).status_code == 200
    user_reads = [
        query["sql"] for query in captured.captured_queries if '"accounts_user"' in query["sql"]
    ]
    assert len(user_reads) == 1 and '"accounts_membership"' in user_reads[0]


def test_an_inactive_member_is_401_with_the_header(api, user_in, organization):
    user = user_in(Role.ADMIN, organization)
    client = api(user, organization)
    user.is_active = False
    user.save()

    assert client.get(INVOICES).status_code == 401


def test_an_inactive_user_is_401_without_the_header(api, user_in, organization):
    user = user_in(Role.ADMIN, organization)
    client = api(user)
    user.is_active = False
    user.save()

    assert client.get(INVOICES).status_code == 401


@pytest.mark.parametrize("header", ["other", "²", "1" * 30, ""])
def test_a_header_naming_no_membership_of_the_user_is_403(api, user_in, organization, header):
    other = OrganizationFactory()
    client = api(user_in(Role.ADMIN, organization))
    value = str(other.pk) if header == "other" else header

    response = client.get(INVOICES, HTTP_X_ORGANIZATION=value)

    assert response.status_code == 403


def test_the_role_is_the_one_in_the_named_organization(api, user_in, organization):
    user = user_in(Role.VIEWER, organization)
    other = OrganizationFactory()
    user.memberships.create(organization=other, role=Role.ADMIN)
    viewer = api(user, organization)
    admin = api(user, other)
    body = {"name": "Customer", "currency": "USD"}

    assert viewer.post("/api/v1/customers/", body, format="json").status_code == 403
    assert admin.post("/api/v1/customers/", body, format="json").status_code == 201
