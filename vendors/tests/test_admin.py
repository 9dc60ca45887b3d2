import pytest
from django.test import Client

from accounts.models import Role
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def test_admin_archive_action_archives_the_vendor(user_in, organization):
    staff = user_in(Role.FINANCE, organization, is_staff=True)
    vendor = VendorFactory(organization=organization)
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/vendors/vendor/", {"action": "archive", "_selected_action": [vendor.pk]}
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.is_archived
    assert vendor.history.first().history_user == staff
