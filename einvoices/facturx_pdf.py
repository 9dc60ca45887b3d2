"""The Factur-X / ZUGFeRD PDF (spec 18): the document's own PDF, made PDF/A-3 by the
factur-x library with the EN 16931 profile's CII XML embedded as `factur-x.xml`. The PDF
is set in embedded TrueType fonts (`invoices.pdf.embedded_fonts`), as PDF/A requires."""

import facturx

from credits.pdf import render_credit_note_pdf
from einvoices.cii import cii_xml
from einvoices.document import CREDIT_NOTE, INVOICE, build
from einvoices.ubl import ubl_xml
from invoices.pdf import render_invoice_pdf

PROFILE = "en16931"
RENDERERS = {INVOICE: render_invoice_pdf, CREDIT_NOTE: render_credit_note_pdf}
TITLES = {INVOICE: "Invoice", CREDIT_NOTE: "Credit note"}


def facturx_pdf(source, *, kind) -> bytes:
    """The Factur-X PDF of an invoice or credit note (409 when it cannot be one)."""
    document = build(source, kind=kind)
    xml = cii_xml(document)
    title = f"{TITLES[kind]} {document.number}"
    return facturx.generate_from_binary(
        RENDERERS[kind](source),
        xml,
        flavor="factur-x",
        level=PROFILE,
        check_xsd=True,
        pdf_metadata={
            "author": document.seller.name,
            "keywords": "Factur-X, EN 16931",
            "title": title,
            "subject": f"{title} from {document.seller.name} to {document.buyer.name}",
        },
        lang="en-US",
    )


def ubl_document(source, *, kind) -> bytes:
    """The UBL 2.1 (Peppol BIS Billing 3.0) XML of an invoice or credit note."""
    return ubl_xml(build(source, kind=kind))
