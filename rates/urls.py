from rest_framework.routers import SimpleRouter

from rates import views

router = SimpleRouter()
router.register("exchange-rates", views.ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = router.urls
