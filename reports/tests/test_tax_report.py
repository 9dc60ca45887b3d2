"""GET reports/tax/ (spec 18): worked examples on accrual and cash basis, in EUR and USD,
at 0 %, a reduced and a standard rate; credit notes netted; refunds and reversals on the
cash basis; write-offs reduce nothing; CSV and XLSX like every report."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from credits.models import CreditNote
from credits.tests.factories import write_off
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from invoices.models import Invoice
from payments.models import Payment
from reports.services.tax import tax_report
from reports.tests.test_exports import csv_rows

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/tax/"


def line(price, rate="0", quantity="1", **extra):
    return {
        "description": "Item",
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": rate,
        **extra,
    }


def issue(organization, currency, lines, *, issue_date=None):
    actor = User.objects.system_actor()
    customer = CustomerFactory(organization=organization, currency=currency)
    invoice = Invoice.create_draft(
        organization=organization,
        customer=customer,
        actor=actor,
        lines=lines,
        issue_date=issue_date,
        due_date=issue_date,
    )
    invoice.send(actor=actor)
    invoice.refresh_from_db()
    return invoice


def pay(invoice, amount):
    payment = Payment.pay(
        invoice,
        amount=amount,
        method="bank_transfer",
        actor=User.objects.system_actor(),
        received_on=invoice.issue_date,
    )
    invoice.refresh_from_db()
    return payment


def credit(invoice, lines, refund=False):
    CreditNote.issue(
        invoice, lines=lines, reason="Fix", refund=refund, actor=User.objects.system_actor()
    )
    invoice.refresh_from_db()


@pytest.fixture
def books(organization):
    """EUR: 100.00 at 19 % (standard), 50.00 at 7 % (reduced), 30.00 at 0 % (Z): total
    202.50. USD: 200.00 at 10 %, three 0.05 lines at 10 % (tax 0.01 each, rounded per
    line), 80.00 exempt: total 300.18. A USD draft and a void invoice count nowhere."""
    eur = issue(organization, "EUR", [line("100.00", "19"), line("50.00", "7"), line("30.00")])
    usd = issue(
        organization,
        "USD",
        [
            line("200.00", "10"),
            *[line("0.05", "10")] * 3,
            line("80.00", tax_category="E", tax_exemption_reason="Exempt service"),
        ],
    )
    actor = User.objects.system_actor()
    Invoice.create_draft(
        organization=organization,
        customer=usd.customer,
        actor=actor,
        lines=[line("999.00", "10")],
    )
    void = issue(organization, "USD", [line("500.00", "10")])
    void.void(reason="Mistake", actor=actor)
    return eur, usd


def report(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_accrual_nets_credit_notes_at_their_rates(viewer_api, books):
    eur, usd = books
    assert (str(eur.total), str(usd.total)) == ("202.5000", "300.1800")
    credit(eur, [line("10.00", "19")])  # 10.00 + 1.90 tax off the standard rate
    assert report(viewer_api) == {
        "basis": "accrual",
        "currencies": [
            {
                "currency": "EUR",
                "rates": [
                    {"category": "S", "rate": "7.0000", "taxable": "50.00", "tax": "3.50"},
                    {"category": "S", "rate": "19.0000", "taxable": "90.00", "tax": "17.10"},
                    {"category": "Z", "rate": "0.0000", "taxable": "30.00", "tax": "0.00"},
                ],
                "totals": {"taxable": "170.00", "tax": "20.60"},
            },
            {
                "currency": "USD",
                "rates": [
                    # Sums of the rounded line taxes: 20.00 + 3 x 0.01, never 20.02.
                    {"category": "S", "rate": "10.0000", "taxable": "200.15", "tax": "20.03"},
                    {"category": "E", "rate": "0.0000", "taxable": "80.00", "tax": "0.00"},
                ],
                "totals": {"taxable": "280.15", "tax": "20.03"},
            },
        ],
    }


def test_accrual_takes_invoices_by_issue_date_and_notes_by_issued_on(viewer_api, organization):
    today = organization.today()
    old = issue(organization, "EUR", [line("100.00", "19")], issue_date=today - timedelta(40))
    credit(old, [line("10.00", "19")])  # issued today
    before = report(viewer_api, to=(today - timedelta(1)).isoformat())
    assert before["currencies"][0]["totals"] == {"taxable": "100.00", "tax": "19.00"}
    now = report(viewer_api, **{"from": today.isoformat()})
    assert now["currencies"][0]["rates"] == [
        {"category": "S", "rate": "19.0000", "taxable": "-10.00", "tax": "-1.90"}
    ]


def test_cash_counts_the_tax_share_of_cash_with_refunds_and_reversals(viewer_api, books):
    eur, usd = books
    assert report(viewer_api, basis="cash") == {"basis": "cash", "currencies": []}
    # EUR: 101.25 paid (half of 202.50), then 20.25 refunded: 81.00, 40 % of the invoice.
    pay(eur, "101.25")
    # Credit note applied to the balance: not cash, no change.
    credit(eur, [line("10.00", "19")])
    Payment.refund(eur, amount="20.25", actor=User.objects.system_actor())
    # USD: half paid (150.09), and a 50.00 payment that was reversed.
    pay(usd, "150.09")
    pay(usd, "50.00").reverse(actor=User.objects.system_actor(), reason="Bounced")
    assert report(viewer_api, basis="cash") == {
        "basis": "cash",
        "currencies": [
            {
                "currency": "EUR",
                "rates": [
                    {"category": "S", "rate": "7.0000", "taxable": "20.00", "tax": "1.40"},
                    {"category": "S", "rate": "19.0000", "taxable": "40.00", "tax": "7.60"},
                    {"category": "Z", "rate": "0.0000", "taxable": "12.00", "tax": "0.00"},
                ],
                "totals": {"taxable": "72.00", "tax": "9.00"},
            },
            {
                "currency": "USD",
                "rates": [
                    # 200.15 x 150.09 / 300.18 = 100.075 -> 100.08; 20.03 / 2 -> 10.02 (half-up
                    # per rate).
                    {"category": "S", "rate": "10.0000", "taxable": "100.08", "tax": "10.02"},
                    {"category": "E", "rate": "0.0000", "taxable": "40.00", "tax": "0.00"},
                ],
                "totals": {"taxable": "140.08", "tax": "10.02"},
            },
        ],
    }


def test_cash_counts_credit_applied_and_takes_off_a_notes_part_put_on_credit(
    viewer_api, organization
):
    """Section 18's cash: a credit note's rest put on the customer's credit is taken off its
    invoice's cash on `issued_on`, and credit applied to an invoice is cash received for it."""
    paid = issue(organization, "EUR", [line("100.00", "20")])
    pay(paid, "120.00")
    # Paid in full: the note's 12.00 all goes to the customer's credit. Cash 108.00.
    credit(paid, [line("10.00", "20")])
    actor = User.objects.system_actor()
    other = Invoice.create_draft(
        organization=organization, customer=paid.customer, actor=actor, lines=[line("50.00", "20")]
    )
    other.send(actor=actor)
    # That credit moves onto the second invoice: 12.00 received for it.
    Payment.apply_credit(other, amount="12.00", actor=actor)
    [eur] = report(viewer_api, basis="cash")["currencies"]
    assert eur["rates"] == [
        {"category": "S", "rate": "20.0000", "taxable": "100.00", "tax": "20.00"}
    ]


def test_cash_is_by_received_date(viewer_api, organization):
    today = organization.today()
    invoice = issue(organization, "EUR", [line("100.00", "20")], issue_date=today - timedelta(9))
    pay(invoice, "60.00")  # on the issue date
    Payment.pay(
        invoice, amount="60.00", method="cash", actor=User.objects.system_actor(), received_on=today
    )
    only_today = report(viewer_api, basis="cash", **{"from": today.isoformat()})
    assert only_today["currencies"][0]["totals"] == {"taxable": "50.00", "tax": "10.00"}


def test_write_offs_reduce_no_tax(viewer_api, organization):
    invoice = issue(organization, "EUR", [line("100.00", "20")])
    pay(invoice, "30.00")
    write_off(invoice)
    accrual = report(viewer_api)["currencies"][0]["totals"]
    cash = report(viewer_api, basis="cash")["currencies"][0]["totals"]
    assert accrual == {"taxable": "100.00", "tax": "20.00"}
    assert cash == {"taxable": "25.00", "tax": "5.00"}


def test_an_unknown_basis_or_format_is_400(viewer_api):
    response = viewer_api.get(URL, {"basis": "monthly"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "basis"
    response = viewer_api.get(URL, {"format": "pdf"})
    assert (response.status_code, error_code(response)) == (400, "unsupported_format")


def test_csv_and_xlsx_hold_one_row_per_currency_and_rate(viewer_api, books):
    rows = csv_rows(viewer_api.get(URL, {"format": "csv", "basis": "accrual"}))
    assert rows[0] == ["basis", "currency", "category", "rate", "taxable", "tax"]
    assert ["accrual", "USD", "E", "0.0000", "80.00", "0.00"] in rows
    assert len(rows) == 1 + 5
    xlsx = viewer_api.get(URL, {"format": "xlsx", "basis": "cash"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_constant_number_of_queries(organization, books):
    eur, _ = books
    pay(eur, "10.00")
    with CaptureQueriesContext(connection) as few:
        tax_report(organization, basis="cash")
    for _ in range(3):
        pay(issue(organization, "EUR", [line("10.00", "7")]), "5.00")
    with CaptureQueriesContext(connection) as many:
        tax_report(organization, basis="cash")
        tax_report(organization, basis="accrual")
    assert len(many) == len(few) + 2 == 5


def test_another_organizations_books_are_not_counted(viewer_api, other_organization):
    pay(issue(other_organization, "EUR", [line("100.00", "20")]), "10.00")
    assert report(viewer_api)["currencies"] == []
    assert report(viewer_api, basis="cash")["currencies"] == []
