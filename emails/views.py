"""`GET invoices/{id}/emails/` (spec 16): every message sent about an invoice, any member."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action

from api.tenancy import OrganizationScopedMixin
from emails.models import EmailMessage
from emails.serializers import EmailMessageSerializer
from invoices.models import Invoice


class InvoiceEmailViewSet(OrganizationScopedMixin, viewsets.GenericViewSet):
    """E-mails addressed through their invoice; another organization's invoice is a 404."""

    queryset = Invoice.objects.all()
    serializer_class = EmailMessageSerializer

    @extend_schema(
        summary="The e-mails sent (or being sent) about an invoice, newest first",
        responses=EmailMessageSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def emails(self, request, pk=None):
        invoice = self.get_object()
        page = self.paginate_queryset(EmailMessage.objects.filter(invoice=invoice))
        return self.get_paginated_response(EmailMessageSerializer(page, many=True).data)
