from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from rates.models import ExchangeRate

pytestmark = pytest.mark.django_db
URL = "/admin/rates/exchangerate/"


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


def test_staff_members_without_model_permissions_see_rates_and_admins_add_their_own(
    client, user_in, organization
):
    """The back office follows the API's role matrix, not Django's model permissions."""
    add(None, "1.1111")
    add(organization, "2.2222")
    admin_member = user_in(Role.ADMIN, organization, is_staff=True)
    client.force_login(admin_member)
    page = client.get(URL)
    assert page.status_code == 200
    assert "1.1111" in page.content.decode() and "2.2222" in page.content.decode()
    assert client.get(f"{URL}add/").status_code == 200
    global_attempt = client.post(
        f"{URL}add/",
        {"organization": "", "base": "GBP", "quote": "USD", "rate": "1.25",
         "effective_date": "2025-01-02", "source": ""},
    )  # fmt: skip
    assert global_attempt.status_code == 200  # the form, with an error
    assert not ExchangeRate.objects.filter(base="GBP").exists()
    response = client.post(
        f"{URL}add/",
        {
            "organization": organization.pk,
            "base": "GBP",
            "quote": "USD",
            "rate": "1.25",
            "effective_date": "2025-01-02",
            "source": "",
        },
    )
    assert response.status_code == 302
    assert ExchangeRate.objects.get(base="GBP").created_by == admin_member


def test_finance_staff_may_read_but_not_write_rates(client, user_in, organization):
    rate = add(organization, "2.2222")
    finance = user_in(Role.FINANCE, organization, is_staff=True)
    client.force_login(finance)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}add/").status_code == 403
    client.post(f"{URL}{rate.pk}/delete/", {"post": "yes"})
    assert ExchangeRate.objects.filter(pk=rate.pk).exists()
