from rest_framework.routers import SimpleRouter

from payments.credit_views import CustomerCreditViewSet, ReceiptViewSet
from payments.views import InvoicePaymentViewSet, PaymentViewSet

router = SimpleRouter()
router.register("payments", PaymentViewSet, basename="payment")
router.register("receipts", ReceiptViewSet, basename="receipt")
# Only detail actions (pay, refund, apply-credit, payments): the invoices app owns
# `invoices/{pk}/` itself, as the customers app owns `customers/{pk}/` (credit, refund).
router.register("invoices", InvoicePaymentViewSet, basename="invoice-payment")
router.register("customers", CustomerCreditViewSet, basename="customer-credit")
urlpatterns = router.urls
