"""The bill and bill-payment endpoints (spec 19). Thin: every rule lives in a model method."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exports import ExportMixin
from api.files import STORED_FILE_RESPONSES, stored_file_response
from api.parsers import JSONParser
from api.payment_rows import PaymentRowViewSet, payment_rows, record_on_document
from api.tenancy import OrganizationViewSet
from bills.filters import BillFilterSet, BillPaymentFilterSet
from bills.models import Bill, BillPayment
from bills.serializers import (
    BillPayInputSerializer,
    BillPaymentReverseInputSerializer,
    BillPaymentSerializer,
    BillSerializer,
    BillVoidInputSerializer,
)

WRITE_ERRORS = {
    409: OpenApiResponse(
        description="invalid_status, bill_not_editable, bill_has_payments, "
        "duplicate_bill_number or concurrent_modification."
    ),
    412: OpenApiResponse(description="precondition_failed: stale If-Match."),
}


class BillViewSet(ExportMixin, OrganizationViewSet):
    """Bills of the current organization. Only drafts can be edited or deleted."""

    queryset = Bill.objects.all()
    serializer_class = BillSerializer
    filterset_class = BillFilterSet
    money_actions = frozenset({"approve", "pay"})
    # `BillPayment.pay` locks the bill first: read it locked once (see api.tenancy).
    lock_object_actions = frozenset({"pay"})
    # The vendor's document comes as the multipart field `attachment`.
    parser_classes = [JSONParser, parsers.MultiPartParser]

    def get_queryset(self):
        return super().get_queryset().select_related("vendor").prefetch_related("lines")

    def respond(self, bill, status_code=status.HTTP_200_OK):
        serializer = self.get_serializer(self.get_queryset().get(pk=bill.pk))
        return Response(serializer.data, status=status_code)

    @extend_schema(responses={201: BillSerializer, 409: WRITE_ERRORS[409]})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(serializer.save(), status.HTTP_201_CREATED)

    @extend_schema(responses={200: BillSerializer, **WRITE_ERRORS})
    def update(self, request, *args, **kwargs):
        bill = self.get_object()
        bill.ensure_can("update_draft")
        serializer = self.get_serializer(
            bill, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        return self.respond(serializer.save(expected_version=self.expected_version(bill)))

    @extend_schema(responses={200: BillSerializer, **WRITE_ERRORS})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def destroy(self, request, *args, **kwargs):
        bill = self.get_object()
        bill.delete_draft(actor=request.user, expected_version=self.expected_version(bill))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: BillSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        bill = self.get_object()
        bill.approve(actor=request.user, expected_version=self.expected_version(bill))
        return self.respond(bill)

    @extend_schema(request=BillVoidInputSerializer, responses={200: BillSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        bill = self.get_object()
        data = BillVoidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bill.void(
            reason=data.validated_data["reason"],
            actor=request.user,
            expected_version=self.expected_version(bill),
        )
        return self.respond(bill)

    @extend_schema(responses=STORED_FILE_RESPONSES)
    @action(detail=True, methods=["get"])
    def attachment(self, request, pk=None):
        """The vendor's document attached to the bill."""
        bill = self.get_object()
        return stored_file_response(
            bill.attachment, bill.attachment_content_type, f"bill-{bill.pk}"
        )

    @extend_schema(
        summary="Pay a bill",
        request=BillPayInputSerializer,
        responses={
            201: BillPaymentSerializer,
            400: OpenApiResponse(description="Invalid amount, `overpayment`, future date"),
            409: OpenApiResponse(description="`invalid_status` or `duplicate_reference`"),
        },
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return record_on_document(
            self, BillPayment.pay, BillPayInputSerializer, BillPaymentSerializer
        )


@extend_schema_view(
    reverse=extend_schema(
        summary="Reverse a bill payment",
        request=BillPaymentReverseInputSerializer,
        responses={
            201: BillPaymentSerializer,
            400: OpenApiResponse(description="`not_reversible`: only payments can be reversed"),
            409: OpenApiResponse(description="`already_reversed` or `invalid_status`"),
        },
    ),
)
class BillPaymentViewSet(PaymentRowViewSet):
    """The organization's bill payments and reversals, newest first; immutable (no PUT,
    PATCH or DELETE: 405)."""

    queryset = payment_rows(BillPayment)
    serializer_class = BillPaymentSerializer
    filterset_class = BillPaymentFilterSet
    reverse_input_class = BillPaymentReverseInputSerializer
