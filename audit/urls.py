from django.urls import path

from audit.views import (
    AuditEventListView,
    BillHistoryView,
    BillPaymentHistoryView,
    CreditNoteHistoryView,
    CustomerHistoryView,
    InvoiceHistoryView,
    PaymentHistoryView,
    RecurringInvoiceHistoryView,
    VendorHistoryView,
)

# Plain paths: the invoice, customer and payment routers do not define `history`.
urlpatterns = [
    path("invoices/<int:pk>/history/", InvoiceHistoryView.as_view(), name="invoice-history"),
    path("customers/<int:pk>/history/", CustomerHistoryView.as_view(), name="customer-history"),
    path("vendors/<int:pk>/history/", VendorHistoryView.as_view(), name="vendor-history"),
    path("bills/<int:pk>/history/", BillHistoryView.as_view(), name="bill-history"),
    path(
        "bill-payments/<int:pk>/history/",
        BillPaymentHistoryView.as_view(),
        name="bill-payment-history",
    ),
    path("payments/<int:pk>/history/", PaymentHistoryView.as_view(), name="payment-history"),
    path(
        "credit-notes/<int:pk>/history/",
        CreditNoteHistoryView.as_view(),
        name="credit-note-history",
    ),
    path(
        "recurring-invoices/<int:pk>/history/",
        RecurringInvoiceHistoryView.as_view(),
        name="recurring-invoice-history",
    ),
    path("audit/events/", AuditEventListView.as_view(), name="audit-events"),
]
