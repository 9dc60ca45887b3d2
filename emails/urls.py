from rest_framework.routers import SimpleRouter

from emails.views import InvoiceEmailViewSet

router = SimpleRouter()
# Only the detail action `emails`: the invoices app owns `invoices/{pk}/` itself.
router.register("invoices", InvoiceEmailViewSet, basename="invoice-email")
urlpatterns = router.urls
