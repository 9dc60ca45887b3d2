"""Spec 12: nothing on an admin page names another organization — the "By organization"
list filters included (Django's own lists every organization of the database)."""

import pytest

from accounts.models import Membership, Role, User
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from audit.tests.test_admin import build_world, staff, url
from customers.models import Customer
from invoices.models import Invoice, InvoiceReminder
from payments.models import Payment

pytestmark = pytest.mark.django_db
FILTERED = [Invoice, Customer, Payment, Membership, InvoiceReminder]


@pytest.fixture
def second_organization(staff_user):
    # With two organizations of their own the staff user gets a "By organization" filter.
    second = OrganizationFactory(name="Second Own Ltd")
    MembershipFactory(user=staff_user, organization=second, role=Role.FINANCE)
    return second


@pytest.fixture
def staff_user(organization):
    return staff(organization)


@pytest.fixture
def rival(db):
    rival = OrganizationFactory(name="Rival Holdings Unique")
    build_world(rival, staff(rival, role=Role.ADMIN))
    return rival


@pytest.mark.parametrize("model", FILTERED, ids=lambda model: model.__name__)
def test_organization_filter_offers_only_the_staff_users_organizations(
    client, staff_user, organization, second_organization, rival, model
):
    build_world(organization, staff_user)
    client.force_login(staff_user)
    page = client.get(url(model, "changelist")).content.decode()
    assert "By organization" in page
    assert f"organization__id__exact={organization.pk}" in page
    assert f"organization__id__exact={second_organization.pk}" in page
    assert "Rival Holdings Unique" not in page
    assert f"organization__id__exact={rival.pk}" not in page


@pytest.mark.parametrize("model", FILTERED, ids=lambda model: model.__name__)
def test_asking_for_another_organizations_filter_names_nothing_of_it(
    client, staff_user, organization, second_organization, rival, model
):
    client.force_login(staff_user)
    page = client.get(url(model, "changelist"), {"organization__id__exact": rival.pk})
    assert "Rival Holdings Unique" not in page.content.decode()


def test_superuser_filter_offers_every_organization(client, organization, rival):
    client.force_login(User.objects.create_superuser("root@example.com", "x-Secret-123"))
    page = client.get(url(Invoice, "changelist")).content.decode()
    assert "Rival Holdings Unique" in page
    assert f"organization__id__exact={organization.pk}" in page
