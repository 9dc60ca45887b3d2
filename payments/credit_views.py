"""Customer credit and receipts over HTTP (spec 14). Thin: the rules are
`payments.credit` and `Receipt`'s; these validate shape, call, render."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import WRITE_ROLES
from api.tenancy import OrganizationScopedMixin
from customers.models import Customer
from payments.credit import CreditEntry, CustomerCredit, refund_credit
from payments.credit_serializers import (
    CreditEntrySerializer,
    CreditRefundInputSerializer,
    CustomerCreditSerializer,
    ReceiptInputSerializer,
    ReceiptReverseInputSerializer,
    ReceiptSerializer,
)
from payments.filters import ReceiptFilterSet
from payments.models import Payment
from payments.receipts import Receipt


class CustomerCreditViewSet(OrganizationScopedMixin, viewsets.GenericViewSet):
    """`customers/{id}/credit/` and `customers/{id}/credit/refund/`, addressed through the
    tenant-scoped customer (another organization's customer is a 404)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerCreditSerializer
    money_actions = frozenset({"refund_credit"})
    action_roles = {"refund_credit": WRITE_ROLES}

    @extend_schema(summary="The customer's credit: balances and entries")
    @action(detail=True, methods=["get"])
    def credit(self, request, pk=None):
        customer = self.get_object()
        balances = CustomerCredit.objects.filter(customer=customer)
        entries = (
            CreditEntry.objects.filter(customer=customer)
            .select_related("credit_note")
            .order_by("created_at", "id")
        )
        return Response(CustomerCreditSerializer({"balances": balances, "entries": entries}).data)

    @extend_schema(
        summary="Pay part of the customer's credit back (cash out)",
        request=CreditRefundInputSerializer,
        responses={
            201: CreditEntrySerializer,
            400: OpenApiResponse(description="`insufficient_credit`, invalid amount"),
        },
    )
    @action(detail=True, methods=["post"], url_path="credit/refund")
    def refund_credit(self, request, pk=None):
        customer = self.get_object()
        data = CreditRefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = refund_credit(customer, actor=request.user, **data.validated_data)
        return Response(CreditEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


def receipt_queryset():
    return Receipt.objects.prefetch_related(
        Prefetch("payments", queryset=Payment.objects.select_related("invoice"))
    )


@extend_schema_view(
    list=extend_schema(summary="List receipts"),
    retrieve=extend_schema(summary="One receipt"),
    create=extend_schema(
        summary="Record a receipt over several invoices",
        request=ReceiptInputSerializer,
        responses={
            201: ReceiptSerializer,
            400: OpenApiResponse(
                description="`allocation_exceeds_receipt`, `invalid_allocation`, and any "
                "allocation's payment refusal (`overpayment`, `received_before_issue`, ...): "
                "nothing is recorded"
            ),
            409: OpenApiResponse(
                description="An allocation's `invalid_status` or `duplicate_reference`: "
                "nothing is recorded"
            ),
        },
    ),
)
class ReceiptViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The organization's receipts, newest first. Immutable but for their reversal."""

    queryset = receipt_queryset()
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilterSet
    money_actions = frozenset({"create", "reverse"})

    def create(self, request, *args, **kwargs):
        data = ReceiptInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        receipt = Receipt.record(actor=request.user, **data.validated_data)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse a receipt: every allocation and its credit",
        request=ReceiptReverseInputSerializer,
        responses={
            201: ReceiptSerializer,
            409: OpenApiResponse(
                description="`already_reversed`, `credit_already_used` or `reversal_exceeds_paid`"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        receipt = self.get_object()
        data = ReceiptReverseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt.reverse(actor=request.user, **data.validated_data)
        receipt = receipt_queryset().get(pk=receipt.pk)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)
