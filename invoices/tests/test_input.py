"""Spec 3 (amended) on invoices: line numbers in the one grammar, dates within 1970-2199,
ISO 4217 currencies, and the minor unit each invoice stores and keeps."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from core import money
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code, snapshot
from invoices.exceptions import InvalidLine
from invoices.models import Invoice, InvoiceLine
from invoices.tests.factories import InvoiceFactory
from invoices.tests.test_pdf import pdf_text
from payments.models import Payment
from payments.tests.test_verify_ledger import verify

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"
LINE = {"description": "Consulting", "quantity": "2", "unit_price": "50.00", "tax_rate": "10"}
NOT_NUMBERS = ["1_000.00", "１０", "٣", "𝟓𝟎", "+5", "-1", "1e3", " 5"]  # noqa: RUF001


def detail(invoice):
    return f"{URL}{invoice.pk}/"


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, currency="USD")


# --- line numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["quantity", "unit_price", "discount_percent", "tax_rate"])
@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_line_numbers_outside_the_grammar_are_400_and_nothing_is_written(
    finance_api, customer, field, text
):
    response = finance_api.post(
        URL, {"customer": customer.pk, "lines": [{**LINE, field: text}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == f"lines.0.{field}"
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


@pytest.mark.parametrize("text", ["1_000.00", "１０", "𝟓𝟎"])  # noqa: RUF001
def test_patching_lines_outside_the_grammar_changes_nothing(finance_api, organization, text):
    invoice = InvoiceFactory(organization=organization)
    before = snapshot(invoice)
    response = finance_api.patch(detail(invoice), {"lines": [{**LINE, "unit_price": text}]})
    assert response.status_code == 400
    assert snapshot(invoice) == before


def test_line_numbers_take_four_decimals_and_json_numbers_as_written(finance_api, customer):
    raw = (
        f'{{"customer": {customer.pk}, "lines": [{{"description": "x", "quantity": 1.2345, '
        '"unit_price": 19.99, "tax_rate": 7.5}]}'
    )
    response = finance_api.post(URL, raw, content_type="application/json")
    assert response.status_code == 201, response.json()
    line = response.json()["lines"][0]
    assert (line["quantity"], line["unit_price"], line["tax_rate"]) == (
        "1.2345",
        "19.9900",
        "7.5000",
    )
    response = finance_api.post(
        URL, {"customer": customer.pk, "lines": [{**LINE, "quantity": "1.23456"}]}
    )
    assert response.status_code == 400


def test_a_line_of_zero_units_is_a_400_on_that_lines_quantity(finance_api, customer):
    # The rule is the model's (InvoiceLine.check_values); its error names the field.
    lines = [LINE, {**LINE, "quantity": "0"}]
    response = finance_api.post(URL, {"customer": customer.pk, "lines": lines}, format="json")
    assert (response.status_code, error_code(response)) == (400, "invalid_line")
    assert response.json()["errors"][0]["attr"] == "lines.1.quantity"
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "0"),
        ("unit_price", "1.00001"),
        ("unit_price", -1),
        ("discount_percent", "101"),
        ("tax_rate", "100.5"),
        ("quantity", "1000000000000000"),
        ("tax_rate", "1e3"),
        ("description", "   "),
    ],
)
def test_the_model_names_the_line_and_field_it_refuses(
    organization, finance_user, customer, field, value
):
    with pytest.raises(InvalidLine) as refused:
        Invoice.create_draft(
            organization=organization,
            customer=customer,
            actor=finance_user,
            lines=[LINE, LINE, {**LINE, field: value}],
        )
    assert refused.value.attr == f"lines.2.{field}"
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("text", ["1_000.00", "１０", "٣", "1e3"])  # noqa: RUF001
def test_the_model_refuses_line_numbers_outside_the_grammar(
    organization, finance_user, customer, text
):
    with pytest.raises(InvalidLine):
        Invoice.create_draft(
            organization=organization,
            customer=customer,
            actor=finance_user,
            lines=[{"description": "x", "quantity": "1", "unit_price": text}],
        )
    assert not Invoice.objects.exists()


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["issue_date", "due_date"])
@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "2200-01-01"])
def test_invoice_dates_outside_1970_2199_are_date_out_of_range(finance_api, customer, field, day):
    response = finance_api.post(URL, {"customer": customer.pk, field: day})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")
    assert response.json()["errors"][0]["attr"] == field
    assert not Invoice.objects.exists()


def test_patching_a_date_out_of_range_changes_nothing(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    before = snapshot(invoice)
    response = finance_api.patch(detail(invoice), {"issue_date": "0001-01-01"})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")
    assert snapshot(invoice) == before
    response = finance_api.patch(
        detail(invoice), {"issue_date": "1970-01-01", "due_date": "2199-12-31"}
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("name", ["issued_from", "issued_to", "due_from", "due_to"])
@pytest.mark.parametrize("day", ["0001-01-01", "2200-01-01"])
def test_invoice_date_filters_outside_1970_2199_are_date_out_of_range(finance_api, name, day):
    response = finance_api.get(URL, {name: day})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")


# --- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["DEM", "BGN", "XAU", "XDR", "XXX", "XTS"])
def test_an_invoice_in_a_withdrawn_fund_or_metal_code_is_refused(finance_api, customer, code):
    response = finance_api.post(URL, {"customer": customer.pk, "currency": code, "lines": [LINE]})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert not Invoice.objects.exists()


def test_a_currency_is_checked_when_set_never_on_reading(finance_api, organization, customer):
    """A customer and a draft whose code ISO withdrew later: readable and editable as they
    are, but no new invoice defaults to the withdrawn code."""
    invoice = InvoiceFactory(organization=organization, customer=customer)
    Invoice.objects.filter(pk=invoice.pk).update(currency="DEM")
    type(customer).objects.filter(pk=customer.pk).update(currency="DEM")

    assert finance_api.get(detail(invoice)).json()["currency"] == "DEM"
    response = finance_api.patch(detail(invoice), {"currency": "DEM", "reference": "PO-1"})
    assert response.status_code == 200, response.json()
    response = finance_api.post(URL, {"customer": customer.pk, "lines": [LINE]})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("currency", "unit_price", "total"),
    [("IQD", "1.2345", "1.235"), ("LAK", "10.555", "10.56"), ("JPY", "333.5", "334")],
)
def test_figures_use_iso_4217_minor_units(finance_api, organization, currency, unit_price, total):
    customer = CustomerFactory(organization=organization, currency=currency)
    body = {"customer": customer.pk, "lines": [{"description": "x", "quantity": "1",
                                                 "unit_price": unit_price}]}  # fmt: skip
    response = finance_api.post(URL, body)
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == total
    assert Invoice.objects.get().minor_unit == money.minor_units(currency)


def test_changing_a_drafts_currency_takes_the_new_minor_unit(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, total="10.25")
    response = finance_api.patch(detail(invoice), {"currency": "JPY"})
    assert response.status_code == 200, response.json()
    assert (response.json()["total"], Invoice.objects.get().minor_unit) == ("10", 0)


def test_an_invoice_keeps_its_stored_minor_unit_when_the_table_changes(
    finance_api, finance_user, organization, monkeypatch
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="10.25")
    draft = InvoiceFactory(organization=organization, total="5.55")
    # ISO's table now says USD has no minor unit.
    monkeypatch.setitem(money.ISO_MINOR_UNITS, "USD", 0)

    body = finance_api.get(detail(invoice)).json()
    assert (body["total"], body["lines"][0]["amount"], body["balance_due"]) == (
        "10.25",
        "10.25",
        "10.25",
    )
    # Payments are checked and rendered with the stored unit too.
    response = finance_api.post(f"{detail(invoice)}pay/", {"amount": "0.25", "method": "card"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "0.25"
    assert finance_api.get("/api/v1/payments/").json()["results"][0]["amount"] == "0.25"
    response = finance_api.post(f"{detail(invoice)}pay/", {"amount": "0.255", "method": "card"})
    assert error_code(response) == "too_precise"
    # Editing the draft's lines rounds with the unit it stored.
    response = finance_api.patch(detail(draft), {"lines": [{**LINE, "tax_rate": "0.5"}]})
    assert response.json()["total"] == "100.50"
    # The PDF prints the stored digits.
    pdf = finance_api.get(f"{detail(invoice)}pdf/")
    assert "$10.25" in pdf_text(pdf.content)
    # And the ledger check computes with the stored unit: nothing to report.
    clean, output = verify()
    assert clean, output
    # A new invoice takes the table as it is now.
    assert InvoiceFactory(organization=organization, sent=True, total="10.25").total == Decimal(
        "10"
    )
    assert Payment.objects.count() == 1


def test_the_migration_backfills_each_invoice_from_the_table(organization):
    migration = importlib.import_module("invoices.migrations.0003_invoice_minor_unit")
    iqd = InvoiceFactory(organization=organization, currency="IQD")
    usd = InvoiceFactory(organization=organization)
    Invoice.objects.filter(pk__in=[iqd.pk, usd.pk]).update(minor_unit=0)
    migration.backfill(apps, None)
    assert dict(Invoice.objects.values_list("currency", "minor_unit")) == {"IQD": 3, "USD": 2}
