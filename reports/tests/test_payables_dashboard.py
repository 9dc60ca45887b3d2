"""reports/dashboard/ and reports/payables/ (spec 19): figures, currency selection,
convert_to, exports, tenancy and a constant number of queries."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import User
from bills.models import BillPayment
from bills.tests.factories import make_bill
from expenses.models import Expense, ExpenseCategory
from rates.models import ExchangeRate
from reports.tests.factories import customer, pay, refund, sent
from reports.tests.test_query_counts import queries
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
DASHBOARD = "/api/v1/reports/dashboard/"
PAYABLES = "/api/v1/reports/payables/"


def expense(organization, category, amount, on, currency="USD"):
    return Expense.record(
        organization=organization,
        actor=User.objects.system_actor(),
        date=on,
        amount=amount,
        currency=currency,
        category=category,
        payment_method="card",
        description=f"{category.name} {amount}",
    )


def bill_paid(organization, total, paid, on, *, currency="USD", issue=None, due=None):
    vendor = VendorFactory(organization=organization, currency=currency)
    bill = make_bill(
        organization,
        vendor=vendor,
        total=total,
        approved=True,
        issue_date=issue or on,
        due_date=due or issue or on,
    )
    if paid:
        BillPayment.pay(
            bill, amount=paid, method="card", actor=User.objects.system_actor(), paid_on=on
        )
    return bill


@pytest.fixture
def books(organization):
    """May and June 2025 in USD, and one EUR expense."""
    travel = ExpenseCategory.objects.create(organization=organization, name="Travel")
    rent = ExpenseCategory.objects.create(organization=organization, name="Rent")
    client = customer(organization, "Client")
    invoice = sent(client, "500.00", issue=date(2025, 5, 1))
    pay(invoice, "300.00", date(2025, 5, 10))
    pay(invoice, "200.00", date(2025, 6, 5))
    refund(invoice, "50.00", date(2025, 6, 20))
    expense(organization, travel, "40.00", date(2025, 5, 12))
    expense(organization, rent, "1000.00", date(2025, 6, 1))
    expense(organization, travel, "10.00", date(2025, 6, 2), currency="EUR")
    bill = bill_paid(organization, "120.00", "100.00", date(2025, 6, 3))
    return {"travel": travel, "rent": rent, "bill": bill}


def test_dashboard_income_expenses_net_by_category_and_month(viewer_api, books):
    response = viewer_api.get(DASHBOARD, {"from": "2025-05-01", "to": "2025-06-30"})
    assert response.status_code == 200, response.json()
    body = response.json()
    # Income is cash: 300 + 200 - 50 refunded. Expenses: 40 + 1000 + the 100 bill payment;
    # the EUR expense is not in the USD dashboard.
    assert (body["currency"], body["income"], body["expenses"], body["net"]) == (
        "USD",
        "450.00",
        "1140.00",
        "-690.00",
    )
    assert body["by_category"] == [
        {"category": "Rent", "amount": "1000.00"},
        {"category": None, "amount": "100.00"},
        {"category": "Travel", "amount": "40.00"},
    ]
    assert body["trend"] == [
        {"period": "2025-05", "income": "300.00", "expenses": "40.00", "net": "260.00"},
        {"period": "2025-06", "income": "150.00", "expenses": "1100.00", "net": "-950.00"},
    ]
    assert [(m["date"], m["type"], m["amount"]) for m in body["recent"][:3]] == [
        ("2025-06-20", "refund", "-50.00"),
        ("2025-06-05", "payment", "200.00"),
        ("2025-06-03", "bill_payment", "-100.00"),
    ]
    assert len(body["recent"]) == 6


def test_a_reversed_bill_payment_is_no_expense(viewer_api, organization, books):
    payment = books["bill"].payments.get()
    payment.reverse(actor=User.objects.system_actor())
    body = viewer_api.get(DASHBOARD, {"from": "2025-05-01", "to": "2025-06-30"}).json()
    assert body["expenses"] == "1040.00"


def test_dashboard_selects_a_currency_or_converts_all(viewer_api, books):
    eur = viewer_api.get(DASHBOARD, {"currency": "EUR", "from": "2025-01-01"}).json()
    assert (eur["currency"], eur["income"], eur["expenses"]) == ("EUR", "0.00", "10.00")
    ExchangeRate.objects.create(
        base="EUR", quote="USD", rate=Decimal("1.5"), effective_date=date(2025, 1, 1)
    )
    converted = viewer_api.get(DASHBOARD, {"convert_to": "USD", "from": "2025-01-01"}).json()
    assert (converted["income"], converted["expenses"]) == ("450.00", "1155.00")


def test_dashboard_without_a_rate_is_400(viewer_api, books):
    response = viewer_api.get(DASHBOARD, {"convert_to": "GBP", "from": "2025-01-01"})
    assert response.status_code == 400


def test_dashboard_exports_its_trend_as_csv(viewer_api, books):
    response = viewer_api.get(
        DASHBOARD, {"from": "2025-05-01", "to": "2025-06-30", "format": "csv"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["period", "income", "expenses", "net"]
    assert rows[1][:4] == ["2025-05", "300.00", "40.00", "260.00"]


def test_payables_ages_unpaid_bills_by_vendor(viewer_api, organization):
    as_of = date(2025, 6, 30)
    current = bill_paid(organization, "100.00", "30.00", as_of, due=as_of + timedelta(days=5))
    late = bill_paid(
        organization, "80.00", None, as_of, issue=date(2025, 4, 1), due=date(2025, 5, 1)
    )
    bill_paid(organization, "50.00", "50.00", as_of)  # paid: left out
    response = viewer_api.get(PAYABLES, {"as_of": "2025-06-30"})
    assert response.status_code == 200, response.json()
    usd = response.json()["currencies"][0]
    by_vendor = {row["vendor"]: row for row in usd["vendors"]}
    assert set(by_vendor) == {current.vendor_id, late.vendor_id}
    assert (by_vendor[current.vendor_id]["current"], by_vendor[current.vendor_id]["total"]) == (
        "70.00",
        "70.00",
    )
    assert by_vendor[late.vendor_id]["31_60"] == "80.00"
    assert by_vendor[late.vendor_id]["vendor_name"] == late.vendor.name
    assert usd["totals"]["total"] == "150.00"
    xlsx = viewer_api.get(PAYABLES, {"as_of": "2025-06-30", "format": "xlsx"})
    assert xlsx.status_code == 200


def test_another_organizations_money_is_in_no_report(viewer_api, other_organization):
    bill_paid(other_organization, "100.00", "10.00", date(2025, 6, 1), currency="EUR")
    category = ExpenseCategory.objects.create(organization=other_organization, name="X")
    expense(other_organization, category, "99.00", date(2025, 6, 1))
    body = viewer_api.get(DASHBOARD, {"convert_to": "USD"}).json()
    assert (body["expenses"], body["recent"]) == ("0.00", [])
    assert viewer_api.get(PAYABLES).json()["currencies"] == []


def test_constant_number_of_queries(viewer_api, organization):
    ExchangeRate.objects.create(
        base="EUR", quote="USD", rate=Decimal("1.1"), effective_date=date(2024, 1, 1)
    )
    category = ExpenseCategory.objects.create(organization=organization, name="Ops")
    urls = [
        f"{DASHBOARD}?from=2025-01-01",
        f"{DASHBOARD}?from=2025-01-01&convert_to=USD&format=xlsx",
        PAYABLES,
        f"{PAYABLES}?convert_to=USD&format=csv",
    ]

    def add(count, start):
        for n in range(start, start + count):
            on = date(2025, 1, 1) + timedelta(days=n % 170)
            currency = "EUR" if n % 2 else "USD"
            bill_paid(organization, "100.00", "10.00", on, currency=currency)
            expense(organization, category, "5.00", on, currency=currency)

    add(2, 0)
    few = {url: queries(viewer_api, url) for url in urls}
    add(20, 2)
    assert {url: queries(viewer_api, url) for url in urls} == few
