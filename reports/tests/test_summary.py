from datetime import date

import pytest
from django.db.models import F

from invoices.models import Invoice
from reports.tests.factories import customer, draft, pay, sent, void

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/summary/"


@pytest.fixture
def books(organization):
    """USD: one of each status; JPY: one overdue invoice (today is 2025-06-30)."""
    usd = customer(organization, "Ann", "USD")
    overdue = sent(usd, "100.00", issue=date(2025, 6, 1), due=date(2025, 6, 10))
    partial = sent(usd, "200.00", issue=date(2025, 6, 2), due=date(2025, 7, 15))
    pay(partial, "50.00", date(2025, 6, 3))
    paid = sent(usd, "300.00", issue=date(2025, 5, 1), due=date(2025, 5, 31))
    pay(paid, "300.00", date(2025, 5, 20))
    draft(usd, "999.00")
    void(usd, "400.00", issue=date(2025, 6, 5))
    yen = customer(organization, "Ken", "JPY")
    sent(yen, "1050", issue=date(2025, 6, 3), due=date(2025, 6, 5))
    return overdue


def by_currency(body):
    return {item["currency"]: item for item in body["currencies"]}


def test_summary_counts_every_status_but_sums_only_sent_partially_paid_and_paid(viewer_api, books):
    response = viewer_api.get(URL)
    assert response.status_code == 200, response.json()
    usd = by_currency(response.json())["USD"]
    assert usd == {
        "currency": "USD",
        "counts": {
            "draft": 1,
            "sent": 1,
            "partially_paid": 1,
            "paid": 1,
            "void": 1,
            "uncollectible": 0,
        },
        "invoiced": "600.00",
        "collected": "350.00",
        "outstanding": "250.00",
        "overdue_count": 1,
        "overdue_amount": "100.00",
        "credited": "0.00",
        "written_off": "0.00",
        "recovered": "0.00",
    }


def test_summary_overdue_needs_a_positive_balance_due(viewer_api, books):
    # Unreachable through the commands (a receivable status always owes something), so the
    # row is shaped directly: it pins spec 5.3's `balance_due > 0` in the summary's SQL.
    Invoice.objects.filter(pk=books.pk).update(amount_paid=F("total"), balance_due=0)
    usd = by_currency(viewer_api.get(URL).json())["USD"]
    assert (usd["overdue_count"], usd["overdue_amount"]) == (0, "0.00")


def test_summary_is_per_currency_with_that_currencys_digits(viewer_api, books):
    jpy = by_currency(viewer_api.get(URL).json())["JPY"]
    assert jpy["counts"] == {
        "draft": 0,
        "sent": 1,
        "partially_paid": 0,
        "paid": 0,
        "void": 0,
        "uncollectible": 0,
    }
    assert (jpy["invoiced"], jpy["collected"], jpy["outstanding"]) == ("1050", "0", "1050")
    assert (jpy["overdue_count"], jpy["overdue_amount"]) == (1, "1050")


def test_summary_from_and_to_select_invoices_by_issue_date(viewer_api, books):
    body = viewer_api.get(URL, {"from": "2025-06-01", "to": "2025-06-02"}).json()
    usd = by_currency(body)["USD"]
    # The May invoice, the undated draft and the void of June 5 fall outside.
    assert usd["counts"] == {
        "draft": 0,
        "sent": 1,
        "partially_paid": 1,
        "paid": 0,
        "void": 0,
        "uncollectible": 0,
    }
    assert (usd["invoiced"], usd["collected"], usd["outstanding"]) == (
        "300.00",
        "50.00",
        "250.00",
    )
    assert "JPY" not in by_currency(body)


def test_summary_leaves_out_other_organizations(viewer_api, books, other_organization):
    foreign = customer(other_organization, "Foreign", "USD")
    sent(foreign, "5000.00", issue=date(2025, 6, 1))
    sent(customer(other_organization, "Euro", "EUR"), "10.00", issue=date(2025, 6, 1))
    body = viewer_api.get(URL).json()
    assert set(by_currency(body)) == {"USD", "JPY"}
    assert by_currency(body)["USD"]["invoiced"] == "600.00"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-13-01"},
        {"to": "yesterday"},
        {"from": "2025-06-02", "to": "2025-06-01"},
        {"convert_to": "ZZZ"},
    ],
)
def test_summary_bad_query_is_400_in_the_standard_shape(viewer_api, params):
    response = viewer_api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_summary_needs_authentication(api):
    assert api().get(URL).status_code == 401
