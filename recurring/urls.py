from rest_framework.routers import SimpleRouter

from recurring.views import RecurringInvoiceViewSet

router = SimpleRouter()
router.register("recurring-invoices", RecurringInvoiceViewSet, basename="recurring-invoice")
urlpatterns = router.urls
