"""Invoice document actions (PDF download, reminder e-mail) mixed into InvoiceViewSet.

They rely on the viewset they are mixed into for tenant scoping (`get_object`, so another
organization's invoice is 404), roles (GET: any member; POST: admin and finance) and
If-Match, and on its invoice serializer for the `remind` answer.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from api.negotiation import FormatNegotiation, requested_format, unsupported_format
from einvoices.document import INVOICE
from einvoices.facturx_pdf import facturx_pdf, ubl_document
from invoices.pdf import pdf_filename, render_invoice_pdf
from invoices.reminders import send_manual_reminder


class PDFNegotiation(FormatNegotiation):
    """The PDF download answers any `Accept` (a client asking for application/pdf must not
    get 406 from the JSON-only API): the PDF is a plain HttpResponse, and the error bodies
    this negotiation picks a renderer for stay JSON. `?format=` may only say `pdf`."""

    document_format = "pdf"

    def select_renderer(self, request, renderers, format_suffix=None):
        format = requested_format(self, request, format_suffix)
        if format is not None and format != self.document_format:
            raise unsupported_format(format, {self.document_format})
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class XMLNegotiation(PDFNegotiation):
    """The same for an XML download (`?format=` may only say `xml`)."""

    document_format = "xml"


def attachment(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


EINVOICE_REFUSALS = {
    409: OpenApiResponse(
        description="`einvoice_incomplete` (naming what EN 16931 needs and the document "
        "lacks: a number, the seller's tax id, a country...) or `einvoice_not_supported` "
        "(currencies with more than 2 minor digits, such as KWD)."
    )
}


class EInvoiceActions:
    """`facturx/` and `ubl/` (spec 18) for a viewset of invoices or credit notes;
    `einvoice_kind` says which."""

    einvoice_kind = INVOICE

    @extend_schema(
        description="The document as a Factur-X / ZUGFeRD PDF (PDF/A-3, EN 16931 profile, "
        "the CII XML embedded as `factur-x.xml`), named `<number>-facturx.pdf`.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The Factur-X PDF."
            ),
            **EINVOICE_REFUSALS,
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=PDFNegotiation)
    def facturx(self, request, pk=None):
        source = self.get_object()
        content = facturx_pdf(source, kind=self.einvoice_kind)
        return attachment(content, "application/pdf", f"{source.number}-facturx.pdf")

    @extend_schema(
        description="The document as UBL 2.1 XML following Peppol BIS Billing 3.0 "
        "(an Invoice, or a CreditNote naming the invoice it corrects), named `<number>.xml`.",
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The UBL document."
            ),
            **EINVOICE_REFUSALS,
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=XMLNegotiation)
    def ubl(self, request, pk=None):
        source = self.get_object()
        content = ubl_document(source, kind=self.einvoice_kind)
        return attachment(content, "application/xml", f"{source.number}.xml")


class InvoiceDocumentActions(EInvoiceActions):
    """Adds the `pdf`, `remind`, `facturx` and `ubl` actions to InvoiceViewSet."""

    @extend_schema(
        description="The invoice as a PDF attachment named `<number>.pdf` (drafts: "
        "`draft-<id>.pdf`, watermarked DRAFT; void invoices are marked VOID). Money and "
        "dates follow the organization's locale; every figure is the stored one.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The invoice as a PDF attachment."
            )
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=PDFNegotiation)
    def pdf(self, request, pk=None):
        """The invoice as a PDF (drafts watermarked DRAFT, void invoices VOID)."""
        invoice = self.get_object()
        return attachment(render_invoice_pdf(invoice), "application/pdf", pdf_filename(invoice))

    @extend_schema(
        request=None,
        description="E-mails the customer a payment reminder (plain text + HTML, PDF "
        "attached) after the request commits. Only sent or partially paid invoices "
        "(else 409 invalid_status); a customer without e-mail is 400 customer_no_email. "
        "A manual reminder changes nothing on the invoice and is not a schedule stage: "
        "the scheduled reminders of `send_reminders` still go out.",
    )
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        """E-mail the customer a payment reminder with the PDF (sent or partially paid only)."""
        invoice = self.get_object()
        send_manual_reminder(
            invoice, actor=request.user, expected_version=self.expected_version(invoice)
        )
        invoice = self.get_queryset().get(pk=invoice.pk)
        return Response(self.get_serializer(invoice).data)
