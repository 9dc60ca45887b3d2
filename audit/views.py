"""Per-object history (any member) and the organization's audit log (admins)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from accounts.models import ADMIN_ONLY, ALL_ROLES
from api.pagination import Pagination
from api.tenancy import OrganizationScopedMixin
from audit.events import SOURCES, EventFilter, as_bound, event_index, load_events, object_events
from audit.serializers import AuditEventQuerySerializer, AuditEventSerializer
from bills.models import Bill, BillPayment
from credits.models import CreditNote
from customers.models import Customer
from invoices.models import Invoice
from payments.models import Payment
from recurring.models import RecurringInvoice
from vendors.models import Vendor


class ObjectHistoryView(OrganizationScopedMixin, generics.GenericAPIView):
    """Events of one object, oldest first. Another organization's object is 404."""

    source_name: str
    read_roles = ALL_ROLES
    serializer_class = AuditEventSerializer
    filter_backends = []
    pagination_class = None

    def get(self, request, pk):
        # The kernel's scoped queryset makes another organization's object a 404.
        obj = self.get_object()
        events = object_events(SOURCES[self.source_name], obj.pk)
        return Response(AuditEventSerializer(events, many=True).data)


def _history_schema(model_name: str, tag: str):
    return extend_schema(
        tags=[tag],
        operation_id=f"{model_name.replace(' ', '_')}s_history",
        summary=f"History of one {model_name}, oldest first",
        responses={200: AuditEventSerializer(many=True)},
    )


class InvoiceHistoryView(ObjectHistoryView):
    """An invoice's own events; its lines' and payments' events are in the audit log."""

    source_name = "invoice"
    queryset = Invoice.objects.all()

    @_history_schema("invoice", "invoices")
    def get(self, request, pk):
        return super().get(request, pk)


class CustomerHistoryView(ObjectHistoryView):
    source_name = "customer"
    queryset = Customer.objects.all()

    @_history_schema("customer", "customers")
    def get(self, request, pk):
        return super().get(request, pk)


class VendorHistoryView(ObjectHistoryView):
    source_name = "vendor"
    queryset = Vendor.objects.all()

    @_history_schema("vendor", "vendors")
    def get(self, request, pk):
        return super().get(request, pk)


class BillHistoryView(ObjectHistoryView):
    source_name = "bill"
    queryset = Bill.objects.all()

    @_history_schema("bill", "bills")
    def get(self, request, pk):
        return super().get(request, pk)


class BillPaymentHistoryView(ObjectHistoryView):
    source_name = "billpayment"
    queryset = BillPayment.objects.all()

    @_history_schema("billpayment", "bill-payments")
    def get(self, request, pk):
        return super().get(request, pk)


class PaymentHistoryView(ObjectHistoryView):
    source_name = "payment"
    queryset = Payment.objects.all()

    @_history_schema("payment", "payments")
    def get(self, request, pk):
        return super().get(request, pk)


class CreditNoteHistoryView(ObjectHistoryView):
    """A credit note's own events (its lines' are in the audit log)."""

    source_name = "creditnote"
    queryset = CreditNote.objects.all()

    @_history_schema("credit note", "credit-notes")
    def get(self, request, pk):
        return super().get(request, pk)


class RecurringInvoiceHistoryView(ObjectHistoryView):
    """A recurring invoice's own events (its lines' are in the audit log)."""

    source_name = "recurringinvoice"
    queryset = RecurringInvoice.objects.all()

    @_history_schema("recurring invoice", "recurring-invoices")
    def get(self, request, pk):
        return super().get(request, pk)


class AuditEventListView(OrganizationScopedMixin, generics.GenericAPIView):
    """The organization's whole log across its tracked models, newest first."""

    read_roles = ADMIN_ONLY
    serializer_class = AuditEventSerializer
    filter_backends = []
    pagination_class = Pagination

    @extend_schema(
        tags=["audit"],
        parameters=[AuditEventQuerySerializer],
        responses={200: AuditEventSerializer(many=True)},
    )
    def get(self, request):
        query = AuditEventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        index = event_index(self.organization, self.event_filter(query.validated_data))
        keys = self.paginate_queryset(index)
        events = load_events(keys)
        return self.get_paginated_response(AuditEventSerializer(events, many=True).data)

    def event_filter(self, params) -> EventFilter:
        organization = self.organization
        return EventFilter(
            models=(params["model"],) if "model" in params else tuple(SOURCES),
            object_id=params.get("object_id"),
            user_id=params.get("user"),
            action=params.get("action"),
            since=as_bound(params["since"], organization, end=False) if "since" in params else None,
            until=as_bound(params["until"], organization, end=True) if "until" in params else None,
        )
