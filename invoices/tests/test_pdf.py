"""GET invoices/{id}/pdf/ (spec 7): content, locale formatting, watermarks, access."""

from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.pdf import render_invoice_pdf
from invoices.tests.document_factories import LINES, draft_invoice, pay, sent_invoice

pytestmark = pytest.mark.django_db


def url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/pdf/"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Babel separates amount and symbol with a no-break space; compare with plain spaces.
    return text.replace("\u00a0", " ")


def test_pdf_of_sent_invoice_has_number_customer_lines_and_us_formatted_total(
    viewer_api, organization
):
    invoice = sent_invoice(organization)
    response = viewer_api.get(url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert invoice.number in text
    assert "Globex Corporation" in text
    for line in LINES:
        assert line["description"] in text
    assert invoice.total == Decimal("1234.50")
    assert "$1,234.50" in text
    assert "DRAFT" not in text
    assert "VOID" not in text


def test_pdf_uses_organization_locale_for_money_and_dates(admin_api, organization):
    organization.locale = "de_DE"
    organization.save()
    invoice = sent_invoice(organization, currency="EUR", due_date=organization.today())
    text = pdf_text(admin_api.get(url(invoice)).content)
    assert "1.234,50 €" in text
    # German medium date: 31.12.2025
    assert organization.today().strftime("%d.%m.%Y") in text


def test_pdf_prints_stored_totals_payments_and_balance_due(admin_api, organization):
    invoice = sent_invoice(organization)
    pay(invoice, "234.50", reference="WIRE-7781")
    text = pdf_text(admin_api.get(url(invoice)).content)
    assert "Payments received" in text
    assert "WIRE-7781" in text
    assert "$234.50" in text
    assert "Balance due\n$1,000.00" in text


def test_pdf_totals_are_the_stored_totals_not_recomputed(organization):
    invoice = sent_invoice(organization)
    # Only the stored figure may be printed: a renderer that re-summed the lines would
    # print 1,234.50 here.
    type(invoice).objects.filter(pk=invoice.pk).update(subtotal=Decimal("999.99"))
    invoice.refresh_from_db()
    text = pdf_text(render_invoice_pdf(invoice))
    assert "$999.99" in text


def test_pdf_line_columns_show_quantity_unit_price_discount_and_tax(organization):
    line = {
        "description": "Widget",
        "quantity": Decimal("3"),
        "unit_price": Decimal("19.99"),
        "discount_percent": Decimal("10"),
        "tax_rate": Decimal("15"),
    }
    invoice = draft_invoice(organization, lines=[line])
    text = pdf_text(render_invoice_pdf(invoice))
    # Spec 5.2 example: amount 59.97, discount 6.00, tax 8.10, total 62.07.
    for expected in ("$19.99", "10 %", "-$6.00", "15 %", "$8.10", "$62.07"):
        assert expected in text


def test_draft_pdf_is_watermarked_and_named_by_id(admin_api, organization):
    invoice = draft_invoice(organization)
    response = admin_api.get(url(invoice))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="draft-{invoice.pk}.pdf"'
    assert "DRAFT" in pdf_text(response.content)


def test_void_pdf_carries_void_mark(admin_api, organization):
    invoice = sent_invoice(organization)
    invoice.void(reason="Issued twice", actor=User.objects.system_actor())
    text = pdf_text(admin_api.get(url(invoice)).content)
    assert "VOID" in text
    assert "Issued twice" in text


def test_void_pdf_says_nothing_is_due_instead_of_the_balance(admin_api, organization):
    invoice = sent_invoice(organization)
    invoice.void(reason="Issued twice", actor=User.objects.system_actor())
    invoice.refresh_from_db()
    assert invoice.balance_due == Decimal("1234.50")  # the ledger's figure is unchanged
    text = pdf_text(admin_api.get(url(invoice)).content)
    assert "Balance due" not in text
    assert "Nothing due (void)\n$0.00" in text
    # The total is still shown, once, as the document's total (and, the invoice having no
    # tax, as the taxable amount of its tax breakdown): never as owed.
    assert text.count("$1,234.50") == text.count("Total") + text.count("Taxable")


def test_other_organizations_invoice_pdf_is_404(admin_api, other_organization):
    invoice = sent_invoice(other_organization)
    response = admin_api.get(url(invoice))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_pdf_requires_authentication(api, organization):
    invoice = sent_invoice(organization)
    assert api().get(url(invoice)).status_code == 401


def test_pdf_can_be_asked_for_with_accept_header(admin_api, organization):
    invoice = sent_invoice(organization)
    response = admin_api.get(url(invoice), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    missing = admin_api.get("/api/v1/invoices/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_markup_and_unusual_characters_in_user_text_do_not_break_the_pdf(organization):
    customer_name = "Smith & <Sons> \u201cLtd\u201d"
    customer = CustomerFactory(organization=organization, name=customer_name, city="Zürich")
    invoice = draft_invoice(organization, customer=customer, notes="<b>unclosed & odd")
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Smith & <Sons>" in text
    assert "<b>unclosed & odd" in text


def test_zero_digit_currency_is_printed_without_decimals(organization):
    organization.locale = "en_US"
    organization.save()
    line = {"description": "Tea", "quantity": Decimal("3"), "unit_price": Decimal("333.5")}
    invoice = draft_invoice(organization, currency="JPY", lines=[line])
    text = pdf_text(render_invoice_pdf(invoice))
    # 3 x 333.5 = 1000.5 -> 1001 yen, no minor unit.
    assert "¥1,001" in text
    assert "¥1,001.00" not in text


def test_long_texts_and_many_lines_flow_over_pages(organization):
    customer = CustomerFactory(organization=organization, name="N" * 200, address_line1="A" * 200)
    lines = [
        {"description": "x" * 500 if n == 0 else f"Item {n}", "quantity": 1, "unit_price": 1}
        for n in range(150)
    ]
    invoice = sent_invoice(organization, customer=customer, lines=lines, notes="word " * 1000)
    pay(invoice, "1.00", reference="R" * 100)
    reader = PdfReader(BytesIO(render_invoice_pdf(invoice)))
    assert len(reader.pages) > 2
    assert "Item 149" in pdf_text(render_invoice_pdf(invoice))


def test_draft_without_lines_renders(admin_api, organization):
    invoice = draft_invoice(organization, lines=())
    response = admin_api.get(url(invoice))
    assert response.status_code == 200
    assert "DRAFT" in pdf_text(response.content)
