"""Done when (spec 15): a CAMT.053 of 200 entries imports, matches what it can, leaves the
rest with suggestions; importing it again adds nothing. Runs on SQLite and PostgreSQL."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from banking.models import BankLine, BankStatement
from banking.tests.files import camt053, camt_entry, upload
from customers.tests.factories import CustomerFactory
from invoices.tests.factories import InvoiceFactory

STATEMENTS = "/api/v1/bank-statements/"
LINES = "/api/v1/bank-lines/"


def two_hundred_entries(organization):
    """60 lines naming one open invoice each (written three ways), 20 naming two, 20 paying
    more than the balance, 40 outgoing, 60 naming none; returns (xml, the invoices)."""
    today = organization.today()
    customers = [CustomerFactory(organization=organization, currency="EUR") for _ in range(8)]
    invoices = [
        InvoiceFactory(
            organization=organization,
            customer=customers[n % 8],
            sent=True,
            total=f"{100 + n}.00",
            currency="EUR",
        )
        for n in range(100)
    ]
    entries = []
    for n in range(60):
        number = invoices[n].number
        written = [number, number.replace("-", " ").lower(), number.replace("-", "")][n % 3]
        entries.append(
            camt_entry(
                amount=f"{100 + n}.00",
                day=today,
                text=f"Zahlung {written} danke",
                name=f"Payer {n}",
                reference=f"M{n}",
            )
        )
    for n in range(60, 80):
        both = f"{invoices[n].number} {invoices[n + 1].number}"
        entries.append(camt_entry(amount="10.00", day=today, text=both, reference=f"T{n}"))
    for n in range(80, 100):
        entries.append(
            camt_entry(
                amount=f"{200 + n}.00", day=today, text=invoices[n].number, reference=f"O{n}"
            )
        )
    for n in range(40):
        entries.append(
            camt_entry(amount="9.99", day=today, text="fee", debit=True, reference=f"D{n}")
        )
    for n in range(60):
        entries.append(
            camt_entry(amount=f"{150 + n}.00", day=today, text="Danke", name=f"Kunde {n}")
        )
    assert len(entries) == 200
    return camt053(entries), invoices


@pytest.mark.django_db
def test_two_hundred_entries_import_match_what_they_can_and_reimport_adds_nothing(
    finance_api, organization
):
    xml, invoices = two_hundred_entries(organization)
    response = finance_api.post(STATEMENTS, {"file": upload(xml)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["format"], body["entries"], body["added"], body["matched"]) == (
        "camt053",
        200,
        200,
        60,
    )
    matched = BankLine.objects.filter(status="matched").select_related("receipt")
    assert matched.count() == 60
    for line in matched:
        assert line.receipt.amount == line.amount
        assert line.receipt.allocated == line.amount
    for invoice in invoices[:60]:
        invoice.refresh_from_db()
        assert invoice.status == "paid"
    # The rest: incoming lines have suggestions, outgoing ones none.
    pages = [
        finance_api.get(LINES, {"status": "unmatched", "page_size": 100, "page": page}).json()
        for page in (1, 2)
    ]
    assert pages[0]["count"] == 140
    rest = pages[0]["results"] + pages[1]["results"]
    assert len(rest) == 140
    for line in rest:
        incoming = Decimal(line["amount"]) > 0
        assert bool(line["suggestions"]) == incoming, line
    again = finance_api.post(STATEMENTS, {"file": upload(xml)}, format="multipart").json()
    assert (again["entries"], again["added"], again["matched"]) == (200, 0, 0)
    assert BankLine.objects.count() == 200
    assert BankStatement.objects.count() == 2
    out = StringIO()
    call_command("verify_ledger", stdout=out, stderr=StringIO())
    assert "200 bank line(s)" in out.getvalue()


@pytest.mark.django_db
def test_the_lines_list_reads_a_constant_number_of_queries(finance_api, organization):
    today = organization.today()
    InvoiceFactory(organization=organization, sent=True, total="10.00", currency="EUR")

    def queries_for(count, reference):
        entries = [
            camt_entry(amount=f"{n + 1}.00", day=today, reference=f"{reference}{n}")
            for n in range(count)
        ]
        finance_api.post(STATEMENTS, {"file": upload(camt053(entries))}, format="multipart")
        with CaptureQueriesContext(connection) as captured:
            assert finance_api.get(LINES).status_code == 200
        return len(captured)

    assert queries_for(2, "A") == queries_for(30, "B")
