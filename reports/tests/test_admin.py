from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from reports.models import ExchangeRate

pytestmark = pytest.mark.django_db
URL = "/admin/reports/exchangerate/"


def add(organization, value):
    return ExchangeRate.objects.create(
        organization=organization,
        base="EUR",
        quote="USD",
        rate=Decimal(value),
        effective_date=date(2025, 1, 1),
    )


def test_staff_see_global_and_their_organizations_rates_only(
    client, user_in, organization, other_organization
):
    from django.contrib.auth.models import Permission

    staff = user_in(Role.ADMIN, organization, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="exchangerate"))
    add(None, "1.1111")
    add(organization, "2.2222")
    add(other_organization, "3.3333")
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert "1.1111" in page and "2.2222" in page
    assert "3.3333" not in page


def test_only_superusers_may_change_a_global_rate(client, user_in, organization):
    from django.contrib.auth.models import Permission

    staff = user_in(Role.ADMIN, organization, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="exchangerate"))
    global_rate = add(None, "1.1111")
    client.force_login(staff)
    response = client.post(f"{URL}{global_rate.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert ExchangeRate.objects.filter(pk=global_rate.pk).exists()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get(f"{URL}{global_rate.pk}/change/").status_code == 200
