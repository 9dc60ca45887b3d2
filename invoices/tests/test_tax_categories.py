"""Spec 18: VAT categories on invoice and credit-note lines, and `tax_breakdown` (API, list,
outbox payload, PDF) summed from the stored line figures without re-rounding."""

import pytest

from credits.models import CreditNote
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from invoices.models import Invoice, InvoiceLine
from invoices.payloads import invoice_payload
from invoices.pdf import render_invoice_pdf
from invoices.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"


def line(price="100.00", rate="0", **extra):
    return {"description": "Work", "quantity": "1", "unit_price": price, "tax_rate": rate, **extra}


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, currency="EUR", country="DE")


def create(api, customer, lines):
    return api.post(URL, {"customer": customer.pk, "lines": lines}, format="json")


def test_category_defaults_to_s_above_zero_and_z_at_zero(finance_api, customer):
    response = create(finance_api, customer, [line(rate="19"), line(rate="0")])
    assert response.status_code == 201, response.json()
    lines = response.json()["lines"]
    assert [(row["tax_category"], row["tax_exemption_reason"]) for row in lines] == [
        ("S", ""),
        ("Z", ""),
    ]


def test_exempt_reverse_charge_and_outside_scope_carry_their_reason(finance_api, customer):
    lines = [
        line(tax_category="E", tax_exemption_reason="Art. 132 VAT Directive"),
        line(tax_category="AE", tax_exemption_reason="Reverse charge"),
        line(tax_category="O", tax_exemption_reason="Not subject to VAT"),
    ]
    response = create(finance_api, customer, lines)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [row["tax_category"] for row in data["lines"]] == ["E", "AE", "O"]
    assert data["lines"][1]["tax_exemption_reason"] == "Reverse charge"
    assert [row["category"] for row in data["tax_breakdown"]] == ["E", "AE", "O"]


@pytest.mark.parametrize(
    ("bad_line", "attr"),
    [
        (line(tax_category="E"), "tax_exemption_reason"),
        (line(tax_category="AE", tax_exemption_reason="  "), "tax_exemption_reason"),
        (line(tax_category="O"), "tax_exemption_reason"),
        (line(rate="0", tax_category="S"), "tax_rate"),
        (line(rate="10", tax_category="Z"), "tax_rate"),
        (line(rate="10", tax_category="E", tax_exemption_reason="x"), "tax_rate"),
        (line(rate="10", tax_exemption_reason="why"), "tax_exemption_reason"),
    ],
)
def test_a_category_that_disagrees_is_400_naming_the_field(finance_api, customer, bad_line, attr):
    response = create(finance_api, customer, [line(), bad_line])
    assert (response.status_code, error_code(response)) == (400, "invalid_line")
    assert response.json()["errors"][0]["attr"] == f"lines.1.{attr}"
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_a_draft_changed_to_a_disagreeing_category_is_400_and_keeps_its_lines(
    finance_api, customer
):
    created = create(finance_api, customer, [line(rate="19")]).json()
    response = finance_api.patch(
        f"{URL}{created['id']}/", {"lines": [line(tax_category="E")]}, format="json"
    )
    assert (response.status_code, error_code(response)) == (400, "invalid_line")
    assert response.json()["errors"][0]["attr"] == "lines.0.tax_exemption_reason"
    invoice = Invoice.objects.get(pk=created["id"])
    assert (invoice.version, invoice.tax_total) == (created["version"], 19)
    assert [(row.tax_category, row.tax_rate) for row in invoice.lines.all()] == [("S", 19)]


def test_an_unknown_category_is_400(finance_api, customer):
    response = create(finance_api, customer, [line(tax_category="X")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "lines.0.tax_category"
    assert not Invoice.objects.exists()


def test_breakdown_sums_stored_line_figures_without_re_rounding(finance_api, customer):
    # Each line's tax, 0.005, rounds half-up to 0.01: the breakdown says 0.03, where a
    # rate applied to the summed 0.15 would say 0.02 (0.015 -> 0.02).
    lines = [line(price="0.05", rate="10")] * 3 + [
        line(price="20.00", rate="7"),
        line(price="5.00"),
        line(price="8.00", tax_category="E", tax_exemption_reason="Medical care"),
    ]
    response = create(finance_api, customer, lines)
    data = response.json()
    assert data["tax_breakdown"] == [
        {"category": "S", "rate": "7.0000", "taxable": "20.00", "tax": "1.40"},
        {"category": "S", "rate": "10.0000", "taxable": "0.15", "tax": "0.03"},
        {"category": "Z", "rate": "0.0000", "taxable": "5.00", "tax": "0.00"},
        {"category": "E", "rate": "0.0000", "taxable": "8.00", "tax": "0.00"},
    ]
    assert data["tax_total"] == "1.43"
    invoice = Invoice.objects.get()
    # The list (rendered by hand) and the outbox payload say the same.
    listed = finance_api.get(URL).json()["results"][0]
    assert listed["tax_breakdown"] == data["tax_breakdown"]
    assert invoice_payload(invoice)["tax_breakdown"] == data["tax_breakdown"]


def test_breakdown_is_after_discount_in_the_documents_digits(finance_api, organization):
    jpy = CustomerFactory(organization=organization, currency="JPY")
    response = create(
        finance_api, jpy, [line(price="333.5", rate="10", quantity="3", discount_percent="10")]
    )
    # amount 1001 (1000.5 half-up), discount 100, tax 90
    assert response.json()["tax_breakdown"] == [
        {"category": "S", "rate": "10.0000", "taxable": "901", "tax": "90"}
    ]


def test_pdf_prints_the_breakdown_and_exemption_reasons(organization, customer, finance_user):
    invoice = Invoice.create_draft(
        organization=organization,
        customer=customer,
        actor=finance_user,
        lines=[
            {"description": "Seats", "quantity": 1, "unit_price": "50.00", "tax_rate": "19"},
            {
                "description": "Training",
                "quantity": 1,
                "unit_price": "30.00",
                "tax_category": "AE",
                "tax_exemption_reason": "Reverse charge, Art. 196",
            },
        ],
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Tax category" in text
    assert "S Standard rate" in text
    assert "AE Reverse charge" in text
    assert "Reverse charge, Art. 196" in text
    assert "€9.50" in text


def test_credit_note_lines_take_categories_and_break_down_the_same_way(
    finance_api, customer, organization
):
    created = create(
        finance_api,
        customer,
        [
            line(price="100.00", rate="20"),
            line(price="40.00", tax_category="E", tax_exemption_reason="Exempt"),
        ],
    ).json()
    finance_api.post(f"{URL}{created['id']}/send/", format="json")
    note_lines = [
        line(price="10.00", rate="20"),
        line(price="5.00", tax_category="E", tax_exemption_reason="Exempt"),
    ]
    response = finance_api.post(
        f"{URL}{created['id']}/credit-notes/",
        {"lines": note_lines, "reason": "Fix", "refund": False},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["tax_breakdown"] == [
        {"category": "S", "rate": "20.0000", "taxable": "10.00", "tax": "2.00"},
        {"category": "E", "rate": "0.0000", "taxable": "5.00", "tax": "0.00"},
    ]
    assert data["lines"][1]["tax_exemption_reason"] == "Exempt"
    refused = finance_api.post(
        f"{URL}{created['id']}/credit-notes/",
        {"lines": [line(price="1.00", tax_category="E")], "reason": "Fix"},
        format="json",
    )
    assert (refused.status_code, error_code(refused)) == (400, "invalid_line")
    assert CreditNote.objects.count() == 1
