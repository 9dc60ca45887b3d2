"""The payment link (`invoices/{id}/payment-link/`) and Stripe's webhook (spec 15): thin
views over `checkout.create_payment_link` and `receiving.receive_event`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import ERROR_RESPONSE_400, ServerErrorResponseSerializer
from api.tenancy import OrganizationScopedMixin
from invoices.models import Invoice
from stripe_gateway.checkout import create_payment_link
from stripe_gateway.exceptions import StripeUnavailable
from stripe_gateway.receiving import receive_event
from stripe_gateway.serializers import (
    PaymentLinkInputSerializer,
    PaymentLinkSerializer,
    StripeEventReceivedSerializer,
)


class PaymentProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "payment_provider_unavailable"
    default_detail = "Stripe could not be reached or answered with an error; try again later."


class InvoicePaymentLinkViewSet(OrganizationScopedMixin, viewsets.GenericViewSet):
    """`invoices/{id}/payment-link/`: the invoice comes from the tenant-scoped queryset, so
    another organization's invoice is a 404."""

    queryset = Invoice.objects.select_related("customer", "organization")
    serializer_class = PaymentLinkSerializer

    @extend_schema(
        summary="Create a Stripe Checkout link for the balance due",
        request=PaymentLinkInputSerializer,
        responses={
            201: PaymentLinkSerializer,
            409: OpenApiResponse(
                description="`invalid_status` (not sent or partially paid), "
                "`amount_not_chargeable` (Stripe cannot charge the balance exactly in this "
                "currency), `stripe_not_configured` or `stripe_credentials_rejected`"
            ),
            502: ServerErrorResponseSerializer,
        },
    )
    @action(detail=True, methods=["post"], url_path="payment-link")
    def payment_link(self, request, pk=None):
        invoice = self.get_object()
        data = PaymentLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            link = create_payment_link(
                invoice,
                actor=request.user,
                idempotency_key=request.headers.get("Idempotency-Key"),
                **data.validated_data,
            )
        except StripeUnavailable:
            raise PaymentProviderUnavailable() from None
        return Response(PaymentLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class StripeWebhookView(APIView):
    """Stripe's events for one organization. No login: the `Stripe-Signature` header,
    checked with the organization's webhook secret, is the proof."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Receive a Stripe event (called by Stripe)",
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description='`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.',
            )
        ],
        responses={
            200: StripeEventReceivedSerializer,
            400: ERROR_RESPONSE_400,
            409: OpenApiResponse(
                description="`concurrent_modification`: nothing was recorded; Stripe retries"
            ),
        },
        auth=[],
    )
    def post(self, request, organization_id):
        outcome = receive_event(
            organization_id,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature"),
        )
        return Response({"received": True, "outcome": outcome})
