"""Customer credit and receipts in the reports (spec 9 and 14): cash is payment rows but
credit applied, plus the credit entries that are cash; statements show the credit lines."""

from datetime import date
from decimal import Decimal

import pytest

from credits.tests.factories import write_off
from payments.credit import refund_credit
from payments.models import Payment
from payments.receipts import Receipt
from reports.tests.conftest import today_is
from reports.tests.factories import actor, customer, sent

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)
RECEIVED = date(2025, 3, 10)


def receive(client, amount, allocations=(), **extra):
    """A bank transfer of `amount` from `client` on March 10th, over `allocations`
    ([(invoice, amount)]), the rest to its credit."""
    return Receipt.record(
        client,
        currency="USD",
        amount=amount,
        method="bank_transfer",
        received_on=RECEIVED,
        allocations=[{"invoice": invoice, "amount": share} for invoice, share in allocations],
        actor=actor(),
        **extra,
    )


@pytest.fixture
def dana(organization):
    """March: 100 and 50 invoiced, a receipt of 180 pays both and leaves 30 on credit.
    April: a 40 invoice takes 25 of the credit, 5 of it is paid back; a 20 invoice is
    overpaid by 15 (to credit); the credit row of 25 is reversed (back to credit) and 10
    applied again."""
    dana = customer(organization, "Dana")
    first = sent(dana, "100.00", issue=MARCH)
    second = sent(dana, "50.00", issue=MARCH)
    receive(dana, "180.00", [(first, "100.00"), (second, "50")], reference="TRF-1")
    third = sent(dana, "40.00", issue=APRIL)
    with today_is(date(2025, 4, 2)):
        applied = Payment.apply_credit(third, amount="25.00", actor=actor())
    with today_is(date(2025, 4, 3)):
        refund_credit(dana, currency="USD", amount="5.00", method="cheque", actor=actor())
    fourth = sent(dana, "20.00", issue=APRIL)
    Payment.pay(
        fourth,
        amount="35.00",
        method="card",
        excess="credit",
        received_on=date(2025, 4, 4),
        actor=actor(),
    )
    with today_is(date(2025, 4, 5)):
        applied.reverse(actor=actor())
        Payment.apply_credit(third, amount="10.00", actor=actor())
    return dana


def test_statement_lines_of_customer_credit(viewer_api, dana):
    body = viewer_api.get(f"/api/v1/customers/{dana.pk}/statement/").json()
    lines = [(line["date"], line["type"], line["amount"]) for line in body["lines"]]
    assert lines == [
        ("2025-03-01", "invoice", "100.00"),
        ("2025-03-01", "invoice", "50.00"),
        ("2025-03-10", "payment", "-100.00"),
        ("2025-03-10", "payment", "-50.00"),
        ("2025-03-10", "credit_received", "-30.00"),
        ("2025-04-01", "invoice", "40.00"),
        ("2025-04-01", "invoice", "20.00"),
        ("2025-04-02", "credit_applied", "0.00"),
        ("2025-04-03", "credit_refund", "5.00"),
        ("2025-04-04", "payment", "-20.00"),
        ("2025-04-04", "credit_received", "-15.00"),
        ("2025-04-05", "credit_applied", "0.00"),
        ("2025-04-05", "credit_applied", "0.00"),
    ]
    # Net position: 30 still owed on the 40 invoice less 30 of credit (30 - 25 - 5 + 15
    # + 25 - 10).
    assert body["closing_balance"] == "0.00"


def test_summary_collects_cash_only(viewer_api, dana):
    [usd] = viewer_api.get("/api/v1/reports/summary/").json()["currencies"]
    # Payment rows on the invoices: 150 by receipt and 20 paid; the credit applied is no
    # cash received for them.
    assert (usd["invoiced"], usd["collected"], usd["outstanding"]) == (
        "210.00",
        "170.00",
        "30.00",
    )


def test_revenue_counts_credit_entries_that_are_cash(viewer_api, dana):
    [usd] = viewer_api.get("/api/v1/reports/revenue/").json()["currencies"]
    assert usd["periods"] == [
        # 150 allocated + 30 unallocated.
        {"period": "2025-03", "invoiced": "150.00", "collected": "180.00", "refunded": "0.00"},
        # 20 paid + 15 excess; 5 of credit paid back.
        {"period": "2025-04", "invoiced": "60.00", "collected": "35.00", "refunded": "5.00"},
    ]


def test_dashboard_income_is_cash(viewer_api, dana):
    body = viewer_api.get(
        "/api/v1/reports/dashboard/",
        {"currency": "USD", "from": "2025-03-01", "to": "2025-04-30"},
    ).json()
    # 180 + 35 received, 5 paid back.
    assert body["income"] == "210.00"
    assert [(m["date"], m["type"], m["amount"]) for m in body["recent"]][:3] == [
        ("2025-04-04", "credit_overpayment", "15.00"),
        ("2025-04-04", "payment", "20.00"),
        ("2025-04-03", "credit_refunded", "-5.00"),
    ]


def test_a_reversed_receipt_nets_to_nothing(viewer_api, organization):
    erin = customer(organization, "Erin")
    invoice = sent(erin, "100.00", issue=MARCH)
    receipt = receive(erin, "130.00", [(invoice, "100.00")])
    with today_is(date(2025, 3, 20)):
        receipt.reverse(actor=actor(), reason="Bounced")
    body = viewer_api.get(f"/api/v1/customers/{erin.pk}/statement/").json()
    assert [(line["type"], line["amount"]) for line in body["lines"]][-2:] == [
        ("reversal", "100.00"),
        ("credit_reversal", "30.00"),
    ]
    assert body["closing_balance"] == "100.00"
    [usd] = viewer_api.get("/api/v1/reports/revenue/").json()["currencies"]
    assert usd["periods"][0]["collected"] == "0.00"
    assert Decimal(body["closing_balance"]) == invoice.total


def test_credit_applied_to_a_written_off_invoice_is_no_recovered_cash(viewer_api, organization):
    """Credit applied to an uncollectible invoice settles what was written off (a recovery
    row), but no cash came in: the summary's `recovered` leaves it out, and the statement
    shows the credit leaving the net position (its recovery line) and no payment."""
    faye = customer(organization, "Faye")
    invoice = sent(faye, "100.00", issue=MARCH)
    with today_is(date(2025, 3, 5)):
        write_off(invoice)
    receive(faye, "40.00")
    with today_is(date(2025, 3, 20)):
        row = Payment.apply_credit(invoice, amount="40.00", actor=actor())
    assert row.recovery
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.written_off_total) == (Decimal("40.00"), Decimal("60.00"))
    [usd] = viewer_api.get("/api/v1/reports/summary/").json()["currencies"]
    assert (usd["written_off"], usd["recovered"], usd["collected"]) == ("100.00", "0.00", "0.00")
    body = viewer_api.get(f"/api/v1/customers/{faye.pk}/statement/").json()
    assert [(line["date"], line["type"], line["amount"]) for line in body["lines"]] == [
        ("2025-03-01", "invoice", "100.00"),
        ("2025-03-05", "write_off", "-100.00"),
        ("2025-03-10", "credit_received", "-40.00"),
        ("2025-03-20", "credit_applied", "0.00"),
        ("2025-03-20", "recovery", "40.00"),
    ]
    # Nothing owed (written off) and no credit left.
    assert body["closing_balance"] == "0.00"
