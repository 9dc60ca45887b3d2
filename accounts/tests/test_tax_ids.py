"""Spec 18: the organization's bank details, and tax ids and IBANs checked with
python-stdnum and schwifty (400 invalid_tax_id / invalid_iban / invalid_bic)."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from invoices.pdf import render_invoice_pdf
from invoices.tests.document_factories import sent_invoice
from invoices.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
URL = "/api/v1/organization/"
CUSTOMERS = "/api/v1/customers/"


def test_bank_details_are_stored_compact(admin_api, organization):
    response = admin_api.patch(
        URL,
        {
            "country": "DE",
            "tax_id": "DE136695976",
            "iban": "de89 3704 0044 0532 0130 00",
            "bic": "DEUTDEFF",
            "payment_instructions": "Quote the invoice number.",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["iban"], data["bic"], data["tax_id"]) == (
        "DE89370400440532013000",
        "DEUTDEFF",
        "DE136695976",
    )
    assert data["payment_instructions"] == "Quote the invoice number."


@pytest.mark.parametrize(
    ("changes", "code", "attr"),
    [
        ({"tax_id": "DE123456789"}, "invalid_tax_id", "tax_id"),
        ({"country": "FR", "tax_id": "123"}, "invalid_tax_id", "tax_id"),
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "invalid_iban", "iban"),
        ({"iban": "not an iban"}, "invalid_iban", "iban"),
        ({"bic": "DEUT"}, "invalid_bic", "bic"),
    ],
)
def test_bad_numbers_are_400_and_change_nothing(admin_api, organization, changes, code, attr):
    response = admin_api.patch(URL, {**changes, "name": "Renamed"}, format="json")
    assert (response.status_code, error_code(response)) == (400, code)
    assert response.json()["errors"][0]["attr"] == attr
    organization.refresh_from_db()
    assert organization.name != "Renamed" and not organization.iban


def test_a_country_change_rechecks_the_stored_tax_id(admin_api, organization):
    assert admin_api.patch(URL, {"tax_id": "12-3456789", "country": "US"}).status_code == 200
    response = admin_api.patch(URL, {"country": "DE"})
    assert error_code(response) == "invalid_tax_id"


def test_customer_tax_ids_are_checked_where_stdnum_knows_the_country(finance_api):
    refused = finance_api.post(
        CUSTOMERS, {"name": "Globex", "country": "DE", "tax_id": "DE999"}, format="json"
    )
    assert (refused.status_code, error_code(refused)) == (400, "invalid_tax_id")
    assert not Customer.objects.exists()
    # No format known for the US: taken as written.
    for body in (
        {"name": "Initech", "country": "US", "tax_id": "US-94-1234567"},
        {"name": "Globex", "country": "DE", "tax_id": "DE 136 695 976"},
        {"name": "Umbrella", "tax_id": "GB980780684"},
    ):
        assert finance_api.post(CUSTOMERS, body, format="json").status_code == 201


def test_the_admin_form_makes_the_same_check(organization):
    organization.tax_id = "FR123"
    with pytest.raises(ValidationError) as refused:
        organization.full_clean()
    assert "tax_id" in refused.value.message_dict
    customer = CustomerFactory.build(organization=organization, country="DE", tax_id="DE1")
    with pytest.raises(ValidationError):
        customer.full_clean()


def test_pdf_shows_tax_id_bank_details_and_payment_terms(organization):
    organization.tax_id = "DE136695976"
    organization.iban = "DE89370400440532013000"
    organization.bic = "DEUTDEFF"
    organization.payment_instructions = "Pay by bank transfer only."
    organization.save()
    invoice = sent_invoice(organization)
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Tax ID: DE136695976" in text
    assert "IBAN: DE89370400440532013000" in text
    assert "BIC: DEUTDEFF" in text
    assert "Pay by bank transfer only." in text
    assert f"Payment terms: {invoice.customer.payment_terms_days} days" in text
