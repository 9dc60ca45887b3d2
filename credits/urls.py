from rest_framework.routers import SimpleRouter

from credits.views import CreditNoteViewSet, InvoiceCreditViewSet

router = SimpleRouter()
router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
# Only detail actions (credit-notes, write-off): the invoices app owns `invoices/{pk}/`.
router.register("invoices", InvoiceCreditViewSet, basename="invoice-credit")
urlpatterns = router.urls
