"""Thin views over `Payment.pay` / `refund` / `reverse`: validate input, call, render.

Payment rows are immutable, so the payment endpoints are read-only plus the `reverse`
action; PUT/PATCH/DELETE are 405 because no handler exists for them.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exports import EXPORT_RENDERERS, FORMAT_PARAMETER, ExportRenderingMixin
from api.payment_rows import (
    PaymentRowViewSet,
    money_context,
    payment_rows,
    record_on_document,
)
from api.tenancy import OrganizationScopedMixin
from invoices.models import Invoice
from invoices.serializers import InvoiceSerializer
from payments.credit_serializers import ApplyCreditInputSerializer
from payments.filters import PaymentFilterSet
from payments.models import Payment
from payments.payloads import payment_payload
from payments.serializers import (
    PaidPaymentSerializer,
    PaymentPayInputSerializer,
    PaymentRefundInputSerializer,
    PaymentReverseInputSerializer,
    PaymentSerializer,
)

CREATED = {201: PaymentSerializer}


def payment_answer(row, invoice):
    """A new row as `PaymentSerializer` renders it, by the outbox's renderer (no per-field
    DRF work on the pay path; payments/tests/test_events.py and test_api.py hold the two to
    one output)."""
    return payment_payload(row, minor_unit=invoice.minor_unit)


@extend_schema_view(
    list=extend_schema(summary="List payments, refunds and reversals"),
    retrieve=extend_schema(summary="One payment row"),
    reverse=extend_schema(
        summary="Reverse a payment",
        request=PaymentReverseInputSerializer,
        responses={
            **CREATED,
            400: OpenApiResponse(
                description="`not_reversible`: only payment and credit rows can be reversed"
            ),
            409: OpenApiResponse(
                description="`already_reversed`, `reversal_exceeds_paid` or `part_of_receipt` "
                "(a receipt's allocation: reverse the receipt)"
            ),
        },
    ),
)
class PaymentViewSet(PaymentRowViewSet):
    """The organization's payment rows (payments, refunds, reversals), newest first."""

    queryset = payment_rows(Payment)
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    reverse_input_class = PaymentReverseInputSerializer


class InvoicePaymentViewSet(ExportRenderingMixin, OrganizationScopedMixin, viewsets.GenericViewSet):
    """Payment actions addressed through their invoice: `invoices/{id}/pay|refund|payments/`.

    The invoice comes from the tenant-scoped queryset, so another organization's invoice
    is a 404 before any rule runs.
    """

    queryset = Invoice.objects.all()
    money_actions = frozenset({"pay", "refund", "apply_credit"})
    serializer_class = PaymentSerializer
    # `Payment.pay` / `refund` / `apply_credit` lock the invoice first: read it locked once
    # (see api.tenancy).
    lock_object_actions = frozenset({"pay", "refund", "apply_credit"})
    compiled_lock_read = True

    def get_renderers(self):
        renderers = super().get_renderers()
        # The invoice's payment list is a payment list: it exports like `payments/`.
        if getattr(self, "action", None) == "payments":
            renderers += [renderer() for renderer in EXPORT_RENDERERS]
        return renderers

    @extend_schema(
        summary="Record a payment on an invoice",
        request=PaymentPayInputSerializer,
        responses={
            201: PaidPaymentSerializer,
            400: OpenApiResponse(
                description='Invalid amount, `overpayment` (unless `"excess": "credit"`), '
                "future date, `received_before_issue`"
            ),
            409: OpenApiResponse(description="`invalid_status` or `duplicate_reference`"),
        },
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return record_on_document(
            self, Payment.pay, PaymentPayInputSerializer, render=payment_answer
        )

    @extend_schema(
        summary="Apply the customer's credit to an invoice",
        request=ApplyCreditInputSerializer,
        responses={
            200: InvoiceSerializer,
            400: OpenApiResponse(description="`insufficient_credit` or `overpayment`"),
            409: OpenApiResponse(description="`invalid_status` or `concurrent_modification`"),
            412: OpenApiResponse(description="`precondition_failed`: stale If-Match."),
        },
    )
    @action(detail=True, methods=["post"], url_path="apply-credit")
    def apply_credit(self, request, pk=None):
        invoice = self.get_object()
        data = ApplyCreditInputSerializer(data=request.data, context=money_context(invoice))
        data.is_valid(raise_exception=True)
        Payment.apply_credit(
            invoice,
            actor=request.user,
            expected_version=self.expected_version(invoice),
            **data.validated_data,
        )
        invoice = Invoice.objects.as_shown(self.organization.today()).get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice).data)

    @extend_schema(
        summary="Refund part or all of what an invoice was paid",
        request=PaymentRefundInputSerializer,
        responses={
            **CREATED,
            400: OpenApiResponse(description="Invalid amount or `refund_exceeds_paid`"),
            409: OpenApiResponse(description="`invalid_status` or `duplicate_reference`"),
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        return record_on_document(
            self, Payment.refund, PaymentRefundInputSerializer, render=payment_answer
        )

    @extend_schema(
        summary="The invoice's payment rows",
        parameters=[FORMAT_PARAMETER],
        responses=PaymentSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def payments(self, request, pk=None):
        invoice = self.get_object()
        rows = payment_rows(Payment).filter(invoice=invoice)
        export_format = self.requested_export_format()
        if export_format is not None:
            return self.export_queryset(rows, PaymentSerializer(), export_format, "payments")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)
