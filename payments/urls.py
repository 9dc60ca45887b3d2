from rest_framework.routers import SimpleRouter

from payments.views import InvoicePaymentViewSet, PaymentViewSet

router = SimpleRouter()
router.register("payments", PaymentViewSet, basename="payment")
# Only detail actions (pay, refund, payments): the invoices app owns `invoices/{pk}/` itself.
router.register("invoices", InvoicePaymentViewSet, basename="invoice-payment")
urlpatterns = router.urls
