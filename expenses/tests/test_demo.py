from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Organization, User
from bills.models import Bill, BillStatus
from demo.management.commands.seed_demo import ORGANIZATION_NAME, USERS

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_a_month_of_expenses_and_bills(api):
    call_command("seed_demo", stdout=StringIO())
    organization = Organization.objects.get(name=ORGANIZATION_NAME)
    assert set(Bill.objects.filter(organization=organization).values_list("status", flat=True)) == {
        BillStatus.DRAFT,
        BillStatus.APPROVED,
        BillStatus.PARTIALLY_PAID,
        BillStatus.PAID,
    }
    viewer = User.objects.get(email=next(email for role, email, _ in USERS if role == "viewer"))
    body = api(viewer).get("/api/v1/reports/dashboard/").json()
    assert len(body["by_category"]) == 5  # four categories and the bill payments
    assert body["expenses"] != "0.00"
    assert api(viewer).get("/api/v1/reports/payables/").json()["currencies"]
    call_command("verify_ledger", stdout=StringIO())
