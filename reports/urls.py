from django.urls import path
from rest_framework.routers import SimpleRouter

from reports import views

router = SimpleRouter()
router.register("exchange-rates", views.ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = [
    path("reports/summary/", views.SummaryView.as_view(), name="report-summary"),
    path("reports/aging/", views.AgingView.as_view(), name="report-aging"),
    path("reports/revenue/", views.RevenueView.as_view(), name="report-revenue"),
    path(
        "customers/<int:pk>/statement/",
        views.CustomerStatementView.as_view(),
        name="customer-statement",
    ),
    *router.urls,
]
