from django.urls import path

from reports import views

urlpatterns = [
    path("reports/summary/", views.SummaryView.as_view(), name="report-summary"),
    path("reports/aging/", views.AgingView.as_view(), name="report-aging"),
    path("reports/payables/", views.PayablesView.as_view(), name="report-payables"),
    path("reports/dashboard/", views.DashboardView.as_view(), name="report-dashboard"),
    path("reports/revenue/", views.RevenueView.as_view(), name="report-revenue"),
    path("reports/tax/", views.TaxView.as_view(), name="report-tax"),
    path(
        "customers/<int:pk>/statement/",
        views.CustomerStatementView.as_view(),
        name="customer-statement",
    ),
]
