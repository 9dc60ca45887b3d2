from rest_framework.routers import SimpleRouter

from banking.views import BankLineViewSet, BankStatementViewSet

router = SimpleRouter()
router.register("bank-statements", BankStatementViewSet, basename="bank-statement")
router.register("bank-lines", BankLineViewSet, basename="bank-line")
urlpatterns = router.urls
