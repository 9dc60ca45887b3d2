from rest_framework.routers import SimpleRouter

from bills.views import BillPaymentViewSet, BillViewSet

router = SimpleRouter()
router.register("bills", BillViewSet, basename="bill")
router.register("bill-payments", BillPaymentViewSet, basename="bill-payment")
urlpatterns = router.urls
