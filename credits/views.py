"""Credit notes and write-offs over HTTP (spec 14). Thin: the rules are
`CreditNote.issue` and `WriteOff.write_off`; these validate shape, call, render."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import WRITE_ROLES
from api.exports import ExportMixin
from api.tenancy import OrganizationScopedMixin
from credits.filters import CreditNoteFilterSet
from credits.mail import queue_credit_note_email
from credits.models import CreditNote, WriteOff
from credits.pdf import credit_note_pdf_filename, render_credit_note_pdf
from credits.serializers import (
    CreditNoteInputSerializer,
    CreditNoteSerializer,
    WriteOffInputSerializer,
)
from einvoices.document import CREDIT_NOTE
from invoices.document_views import EInvoiceActions, PDFNegotiation
from invoices.mail import ensure_can_email
from invoices.models import Invoice
from invoices.serializers import InvoiceSerializer


def credit_note_queryset():
    return CreditNote.objects.select_related("invoice", "customer").prefetch_related("lines")


@extend_schema_view(
    list=extend_schema(summary="List credit notes"),
    retrieve=extend_schema(summary="One credit note"),
)
class CreditNoteViewSet(
    ExportMixin, EInvoiceActions, OrganizationScopedMixin, viewsets.ReadOnlyModelViewSet
):
    """The organization's credit notes, newest first. Immutable: no PUT/PATCH/DELETE."""

    queryset = credit_note_queryset()
    serializer_class = CreditNoteSerializer
    filterset_class = CreditNoteFilterSet
    action_roles = {"email": WRITE_ROLES}
    einvoice_kind = CREDIT_NOTE

    @extend_schema(
        summary="The credit note as a PDF",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The credit note as a PDF attachment."
            )
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=PDFNegotiation)
    def pdf(self, request, pk=None):
        note = self.get_object()
        response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=credit_note_pdf_filename(note)
        )
        return response

    @extend_schema(
        summary="E-mail the credit note to the customer",
        request=None,
        responses={
            200: CreditNoteSerializer,
            400: OpenApiResponse(description="`customer_no_email`"),
        },
    )
    @action(detail=True, methods=["post"])
    def email(self, request, pk=None):
        note = self.get_object()
        ensure_can_email(note)
        queue_credit_note_email(note)
        return Response(CreditNoteSerializer(note).data)


class InvoiceCreditViewSet(OrganizationScopedMixin, viewsets.GenericViewSet):
    """`invoices/{id}/credit-notes/` and `invoices/{id}/write-off/`, addressed through the
    tenant-scoped invoice (another organization's invoice is a 404 before any rule)."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    money_actions = frozenset({"credit_notes", "write_off"})
    # Both commands lock the invoice first: read it locked once (see api.tenancy).
    lock_object_actions = frozenset({"credit_notes", "write_off"})
    compiled_lock_read = True

    @extend_schema(
        summary="Issue a credit note against an invoice",
        request=CreditNoteInputSerializer,
        responses={
            201: CreditNoteSerializer,
            400: OpenApiResponse(
                description="Invalid lines, `credit_note_empty` or `credit_exceeds_invoice`"
            ),
            409: OpenApiResponse(description="`invalid_status` or `concurrent_modification`"),
            412: OpenApiResponse(description="`precondition_failed`: stale If-Match."),
        },
    )
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request, pk=None):
        invoice = self.get_object()
        # Refused before the body is read: a draft or void invoice is never credited.
        invoice.ensure_can("credit")
        data = CreditNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = CreditNote.issue(
            invoice,
            actor=request.user,
            expected_version=self.expected_version(invoice),
            **data.validated_data,
        )
        note = credit_note_queryset().get(pk=note.pk)
        return Response(CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Write off an invoice's balance due",
        request=WriteOffInputSerializer,
        responses={
            200: InvoiceSerializer,
            409: OpenApiResponse(description="`invalid_status` or `concurrent_modification`"),
            412: OpenApiResponse(description="`precondition_failed`: stale If-Match."),
        },
    )
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request, pk=None):
        invoice = self.get_object()
        invoice.ensure_can("write_off")
        data = WriteOffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        WriteOff.write_off(
            invoice,
            actor=request.user,
            expected_version=self.expected_version(invoice),
            **data.validated_data,
        )
        invoice = Invoice.objects.as_shown(self.organization.today()).get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice).data)
