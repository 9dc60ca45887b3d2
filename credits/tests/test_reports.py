"""Reports with credit notes and write-offs (spec 9 as amended by 14): the summary's new
figures by their own dates, aging by dates, statements' new lines and net position."""

from datetime import timedelta
from decimal import Decimal

import pytest

from credits.tests.factories import credit, write_off
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def books(organization, finance_user):
    today = organization.today()
    past = {"issue_date": today - timedelta(days=40), "due_date": today - timedelta(days=10)}
    corrected = InvoiceFactory(organization=organization, sent=True, total="100.00", **past)
    customer = corrected.customer
    PaymentFactory(invoice=corrected, amount="80.00", received_on=past["issue_date"])
    credit(corrected, "50.00", refund=True)  # 20.00 on the invoice, 30.00 refunded
    lost = InvoiceFactory(
        organization=organization, customer=customer, sent=True, total="100.00", **past
    )
    PaymentFactory(invoice=lost, amount="30.00", received_on=past["issue_date"])
    write_off(lost)  # 70.00
    PaymentFactory(invoice=lost, amount="25.00", received_on=today)  # recovered
    Payment.refund(lost, amount=D("5.00"), actor=finance_user)  # a recovery given back
    credit(lost, "10.00")  # out of the written-off amount
    open_invoice = InvoiceFactory(
        organization=organization, customer=customer, sent=True, total="40.00", **past
    )
    return {"today": today, "past": past, "customer": customer, "lost": lost,
            "open": open_invoice, "corrected": corrected}  # fmt: skip


def test_summary_counts_uncollectible_and_reports_credited_written_off_recovered(viewer_api, books):
    (usd,) = viewer_api.get("/api/v1/reports/summary/").json()["currencies"]
    assert usd["counts"]["uncollectible"] == 1
    assert usd["invoiced"] == "240.00"
    # Cash: 80 - 30 (credit-note refund) + 30 + 25 - 5.
    assert usd["collected"] == "100.00"
    assert usd["outstanding"] == "40.00"  # the uncollectible invoice owes nothing
    assert (usd["overdue_count"], usd["overdue_amount"]) == (1, "40.00")
    assert (usd["credited"], usd["written_off"], usd["recovered"]) == ("60.00", "70.00", "20.00")


def test_summary_figures_go_by_their_own_dates(viewer_api, books):
    yesterday = (books["today"] - timedelta(days=1)).isoformat()
    query = f"?from={books['past']['issue_date'].isoformat()}&to={yesterday}"
    (usd,) = viewer_api.get("/api/v1/reports/summary/" + query).json()["currencies"]
    assert usd["invoiced"] == "240.00"  # issued in the period
    assert (usd["credited"], usd["written_off"], usd["recovered"]) == ("0.00", "0.00", "0.00")


def test_aging_leaves_written_off_invoices_from_their_date_and_subtracts_credit_notes(
    viewer_api, books
):
    today = viewer_api.get("/api/v1/reports/aging/").json()
    (usd,) = today["currencies"]
    assert usd["totals"]["total"] == "40.00"  # the open invoice; the corrected one is settled
    yesterday = (books["today"] - timedelta(days=1)).isoformat()
    before = viewer_api.get(f"/api/v1/reports/aging/?as_of={yesterday}").json()
    (usd,) = before["currencies"]
    # As it stood: 100 - 80 owed on the corrected, 70 on the not yet written-off, 40 open.
    assert usd["totals"]["total"] == "130.00"
    assert usd["totals"]["1_30"] == "130.00"


def test_statement_lines_and_net_position(viewer_api, books):
    customer = books["customer"]
    response = viewer_api.get(f"/api/v1/customers/{customer.pk}/statement/")
    assert response.status_code == 200
    data = response.json()
    today = books["today"].isoformat()
    todays = [(line["type"], line["amount"]) for line in data["lines"] if line["date"] == today]
    assert todays == [
        ("refund", "30.00"),  # the credit note's refund
        ("payment", "-25.00"),
        ("refund", "5.00"),
        ("recovery", "25.00"),
        ("recovery", "-5.00"),
        ("recovery", "10.00"),  # the credit note's part taken from the write-off
        ("credit_note", "-50.00"),
        ("credit_note", "-10.00"),
        ("write_off", "-70.00"),
    ]
    # Net position: only the open invoice is still owed.
    assert data["closing_balance"] == "40.00"


def test_statement_opening_balance_includes_every_kind(viewer_api, books):
    customer = books["customer"]
    tomorrow = (books["today"] + timedelta(days=1)).isoformat()
    data = viewer_api.get(
        f"/api/v1/customers/{customer.pk}/statement/?from={tomorrow}&to={tomorrow}"
    ).json()
    assert (data["opening_balance"], data["lines"], data["closing_balance"]) == (
        "40.00",
        [],
        "40.00",
    )


def test_statement_exports_the_new_lines(viewer_api, books):
    customer = books["customer"]
    response = viewer_api.get(f"/api/v1/customers/{customer.pk}/statement/?format=csv")
    assert response.status_code == 200
    text = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else (response.content.decode())
    )
    for kind in ("credit_note", "write_off", "recovery"):
        assert kind in text


def test_revenue_counts_a_credit_notes_refund_as_refunded(viewer_api, books):
    data = viewer_api.get("/api/v1/reports/revenue/").json()
    (usd,) = data["currencies"]
    period = usd["periods"][-1]
    assert D(period["refunded"]) >= D("35.00")


def test_summary_converts_credit_notes_at_their_issue_dates_rate(viewer_api, organization):
    from rates.tests.factories import rate
    from reports.tests.factories import customer, sent

    today = organization.today()
    rate("EUR", "USD", "1.10", today - timedelta(days=400))
    rate("EUR", "USD", "1.25", today)  # the credit note's date
    euro = sent(customer(organization, "Eva", "EUR"), "100.00", issue=today - timedelta(days=30))
    credit(euro, "40.00")
    write_off(euro)
    response = viewer_api.get("/api/v1/reports/summary/", {"convert_to": "USD"})
    assert response.status_code == 200, response.json()
    (usd,) = response.json()["currencies"]
    assert usd["invoiced"] == "110.00"  # at the issue date's 1.10
    assert (usd["credited"], usd["written_off"]) == ("50.00", "75.00")  # at today's 1.25


def test_a_refunding_credit_note_on_a_written_off_invoice_nets_to_zero(viewer_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    PaymentFactory(invoice=invoice, amount="40.00")
    write_off(invoice)  # 60.00
    note = credit(invoice, "100.00", refund=True)  # 60.00 from the write-off, 40.00 refunded
    assert (note.credited_to_invoice, note.refunded) == (D("60.00"), D("40.00"))
    assert note.refund_payment.recovery is False
    data = viewer_api.get(f"/api/v1/customers/{invoice.customer_id}/statement/").json()
    assert data["closing_balance"] == "0.00"
    (usd,) = viewer_api.get("/api/v1/reports/summary/").json()["currencies"]
    assert usd["recovered"] == "0.00"
