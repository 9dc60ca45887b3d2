"""`convert_to`: each amount at the rate of its own date (issue date for invoices, received
date for payments); own rates before global ones; direct, inverse or crossed via EUR."""

from datetime import date

import pytest

from rates.tests.factories import rate
from reports.tests.factories import customer, pay, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def eur_usd():
    rate("EUR", "USD", "1.10", date(2025, 1, 1))
    rate("EUR", "USD", "1.20", date(2025, 6, 1))


@pytest.fixture
def euro_books(organization, eur_usd):
    euro = customer(organization, "Eva", "EUR")
    may = sent(euro, "100.00", issue=date(2025, 5, 15))  # at 1.10
    sent(euro, "50.00", issue=date(2025, 6, 10))  # at 1.20
    sent(customer(organization, "Ann", "USD"), "30.00", issue=date(2025, 6, 11))
    pay(may, "100.00", date(2025, 6, 5))  # received at 1.20
    return euro


def test_summary_converts_each_invoice_at_its_issue_dates_rate(viewer_api, euro_books):
    response = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "USD"})
    assert response.status_code == 200, response.json()
    [usd] = response.json()["currencies"]
    assert usd["currency"] == "USD"
    assert usd["counts"]["sent"] == 2 and usd["counts"]["paid"] == 1
    assert usd["invoiced"] == "200.00"  # 100 x 1.10 + 50 x 1.20 + 30
    assert usd["outstanding"] == "90.00"  # 50 x 1.20 + 30


def test_revenue_converts_payments_at_their_received_dates_rate(viewer_api, euro_books):
    body = viewer_api.get("/api/v1/reports/revenue/", {"convert_to": "USD"}).json()
    [usd] = body["currencies"]
    assert usd["periods"] == [
        {"period": "2025-05", "invoiced": "110.00", "collected": "0.00", "refunded": "0.00"},
        {"period": "2025-06", "invoiced": "90.00", "collected": "120.00", "refunded": "0.00"},
    ]


def test_aging_converts_what_is_owed_at_the_issue_dates_rate(viewer_api, euro_books):
    body = viewer_api.get("/api/v1/reports/aging/", {"convert_to": "USD"}).json()
    [usd] = body["currencies"]
    assert [(row["customer_name"], row["total"]) for row in usd["customers"]] == [
        ("Ann", "30.00"),
        ("Eva", "60.00"),
    ]
    assert usd["totals"]["total"] == "90.00"


def test_aging_converts_a_payment_received_after_as_of_at_the_invoices_rate(viewer_api, euro_books):
    # On 06-01 the May invoice (at 1.10) was unpaid: its payment of 06-05 is added back to
    # its balance, converted at the invoice's issue date, not at the payment's (1.20).
    body = viewer_api.get(
        "/api/v1/reports/aging/", {"convert_to": "USD", "as_of": "2025-06-01"}
    ).json()
    [usd] = body["currencies"]
    assert [(row["customer_name"], row["total"]) for row in usd["customers"]] == [("Eva", "110.00")]


def test_conversion_uses_the_inverse_pair_and_rounds_to_the_target_currency(viewer_api, euro_books):
    body = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "EUR"}).json()
    # 150 EUR + 30 USD / 1.20 = 150 + 25.00
    assert body["currencies"][0]["invoiced"] == "175.00"


def test_conversion_crosses_through_eur(viewer_api, organization, eur_usd):
    rate("EUR", "JPY", "160", date(2025, 1, 1))
    sent(customer(organization, "Ann", "USD"), "11.00", issue=date(2025, 5, 1))
    body = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "JPY"}).json()
    assert body["currencies"] == [
        {
            "currency": "JPY",
            "counts": {
                "draft": 0,
                "sent": 1,
                "partially_paid": 0,
                "paid": 0,
                "void": 0,
                "uncollectible": 0,
            },
            "invoiced": "1600",  # 11 / 1.10 x 160
            "collected": "0",
            "outstanding": "1600",
            "overdue_count": 1,
            "overdue_amount": "1600",
            "credited": "0",
            "written_off": "0",
            "recovered": "0",
        }
    ]


def test_organizations_own_rate_wins_over_global_only_for_that_organization(
    viewer_api, api, user_in, organization, other_organization, eur_usd
):
    rate("EUR", "USD", "1.50", date(2025, 1, 1), organization=organization)
    sent(customer(organization, "Eva", "EUR"), "10.00", issue=date(2025, 6, 10))
    body = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "USD"}).json()
    assert body["currencies"][0]["invoiced"] == "15.00"  # own 1.50, not global 1.20

    other_viewer = api(user_in("viewer", other_organization))
    sent(customer(other_organization, "Eve", "EUR"), "10.00", issue=date(2025, 6, 10))
    body = other_viewer.get("/api/v1/reports/summary/", {"convert_to": "USD"}).json()
    assert body["currencies"][0]["invoiced"] == "12.00"  # global 1.20


def test_missing_rate_is_400_rate_unavailable_never_one(viewer_api, organization):
    sent(customer(organization, "Ann", "USD"), "10.00", issue=date(2025, 5, 1))
    for report in ("summary", "aging", "revenue"):
        response = viewer_api.get(f"/api/v1/reports/{report}/", {"convert_to": "GBP"})
        assert response.status_code == 400, report
        assert response.json()["errors"][0]["code"] == "rate_unavailable"


def test_a_rate_effective_after_the_invoice_date_is_not_used(viewer_api, organization):
    rate("EUR", "USD", "1.10", date(2025, 6, 1))
    sent(customer(organization, "Eva", "EUR"), "10.00", issue=date(2025, 5, 31))
    response = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "USD"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "rate_unavailable"


def test_converting_with_no_data_needs_no_rate(viewer_api):
    body = viewer_api.get("/api/v1/reports/revenue/", {"convert_to": "CHF"}).json()
    assert body["currencies"] == []
