"""The invoice endpoints (spec 5). Thin: every rule lives in an `Invoice` method."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exports import FORMAT_PARAMETER, ExportMixin
from api.tenancy import OrganizationViewSet
from invoices.document_views import InvoiceDocumentActions
from invoices.filters import InvoiceFilterSet
from invoices.listing import CountedRows, UnfilteredRows, render_invoices
from invoices.mail import send_invoice
from invoices.models import Invoice
from invoices.serializers import (
    InvoiceSendInputSerializer,
    InvoiceSerializer,
    InvoiceVoidInputSerializer,
)

CONFLICT = OpenApiResponse(
    description="invalid_status, invoice_not_editable, invoice_has_payments or "
    "concurrent_modification."
)
PRECONDITION_FAILED = OpenApiResponse(description="precondition_failed: stale If-Match.")
WRITE_ERRORS = {409: CONFLICT, 412: PRECONDITION_FAILED}


class InvoiceViewSet(ExportMixin, InvoiceDocumentActions, OrganizationViewSet):
    """Invoices of the current organization. Only drafts can be edited or deleted."""

    queryset = Invoice.objects.all()
    money_actions = frozenset({"send"})
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        # "Today" is the organization's date, so overdue flips at its midnight, not UTC's.
        return queryset.as_shown(self.organization.today())

    def filtered(self):
        """Whether the request names any filter parameter (else every filter passes the
        queryset through untouched)."""
        return not self.request.query_params.keys().isdisjoint(self.filterset_class.base_filters)

    def filter_queryset(self, queryset):
        # Unfiltered, the filter set (a form built and deep-copied per request) is not built.
        return super().filter_queryset(queryset) if self.filtered() else queryset

    @extend_schema(parameters=[FORMAT_PARAMETER])
    def list(self, request, *args, **kwargs):
        if self.requested_export_format() is not None:
            return super().list(request, *args, **kwargs)
        # The page is read as tuples and rendered by hand: the serializer's JSON without its
        # per-field work (invoices/listing.py; its test holds the two to one output).
        if self.filtered():
            rows = CountedRows(self.filter_queryset(self.get_queryset()))
        else:
            rows = UnfilteredRows(self.organization, self.organization.today())
        return self.get_paginated_response(render_invoices(self.paginate_queryset(rows)))

    def reread(self, invoice):
        """The invoice as the list shows it (with `is_overdue` and fresh lines)."""
        return self.get_queryset().get(pk=invoice.pk)

    def respond(self, invoice, status_code=status.HTTP_200_OK):
        serializer = self.get_serializer(self.reread(invoice))
        return Response(serializer.data, status=status_code)

    @extend_schema(responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(serializer.save(), status.HTTP_201_CREATED)

    @extend_schema(responses={200: InvoiceSerializer, **WRITE_ERRORS})
    def update(self, request, *args, **kwargs):
        invoice = self.get_object()
        # Refuse before validating: a non-draft is not editable whatever the body says.
        invoice.ensure_can("update_draft")
        serializer = self.get_serializer(
            invoice, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        return self.respond(serializer.save(expected_version=self.expected_version(invoice)))

    @extend_schema(responses={200: InvoiceSerializer, **WRITE_ERRORS})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def destroy(self, request, *args, **kwargs):
        invoice = self.get_object()
        invoice.delete_draft(actor=request.user, expected_version=self.expected_version(invoice))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=InvoiceSendInputSerializer,
        responses={200: InvoiceSerializer, **WRITE_ERRORS},
        description="Draft -> sent: assigns the next number, defaults the dates. "
        '`{"email": true}` also e-mails the customer; without a customer e-mail nothing changes.',
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        invoice = self.get_object()
        data = InvoiceSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        send_invoice(
            invoice,
            actor=request.user,
            email=data.validated_data["email"],
            expected_version=self.expected_version(invoice),
        )
        return self.respond(invoice)

    @extend_schema(
        request=InvoiceVoidInputSerializer,
        responses={200: InvoiceSerializer, **WRITE_ERRORS},
        description="Voids a draft, or a sent invoice that never had a payment row.",
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        invoice = self.get_object()
        data = InvoiceVoidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice.void(
            reason=data.validated_data["reason"],
            actor=request.user,
            expected_version=self.expected_version(invoice),
        )
        return self.respond(invoice)
