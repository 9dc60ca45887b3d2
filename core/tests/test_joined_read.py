"""`core.joined_read` loads what the ORM's `select_related` loads, field for field, and
`core.history` keeps simple-history's manager working with one class per model."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from api.authentication import membership_read

pytestmark = pytest.mark.django_db


def field_values(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_the_membership_its_user_and_organization_are_the_orms_in_one_statement():
    membership = MembershipFactory(role=Role.FINANCE)
    MembershipFactory(user=membership.user, organization=OrganizationFactory())
    membership.user.last_login = membership.created_at
    membership.user.save()
    expected = Membership.objects.select_related("user", "organization").get(pk=membership.pk)

    with CaptureQueriesContext(connection) as captured:
        loaded = membership_read().first(membership.user_id, membership.organization_id)
        assert loaded.user.email and loaded.organization.name  # no further query

    assert len(captured) == 1
    assert field_values(loaded) == field_values(expected)
    assert field_values(loaded.user) == field_values(expected.user)
    assert field_values(loaded.organization) == field_values(expected.organization)
    assert all(
        type(value) is type(getattr(expected.user, name))
        for name, value in field_values(loaded.user).items()
    )
    assert loaded._state.adding is False and loaded._state.db == "default"


def test_no_membership_there_is_none():
    membership = MembershipFactory()
    other = OrganizationFactory()

    assert membership_read().first(membership.user_id, other.pk) is None


def test_history_managers_share_one_class_and_still_work():
    membership = MembershipFactory(role=Role.ADMIN)
    membership.role = Role.VIEWER
    membership.save()

    assert type(membership.history) is type(Membership.history)
    roles = [row.role for row in membership.history.all()]
    assert len(roles) == 2 and roles[0] == Role.VIEWER
    assert Membership.history.filter(id=membership.pk).count() == 2


def test_values_in_reads_what_the_orms_values_list_reads(organization):
    from invoices.listing import LINE_COLUMNS, PAGE_LINES
    from invoices.models import InvoiceLine
    from invoices.tests.factories import InvoiceFactory, line

    invoices = [
        InvoiceFactory(organization=organization, lines=[line("A", quantity="1.5"), line("B")])
        for _ in range(3)
    ]
    ids = [invoice.pk for invoice in reversed(invoices)]
    expected = list(
        InvoiceLine.objects.filter(invoice_id__in=ids)
        .order_by("invoice_id", "position", "id")
        .values_list(*LINE_COLUMNS)
    )

    rows = PAGE_LINES.rows(ids)

    assert len(rows) == 6 and rows == expected
    assert [type(value) for value in rows[0]] == [type(value) for value in expected[0]]
    assert PAGE_LINES.rows([]) == []
