from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.throttles import throttled_admin_login
from fintrack import views
from fintrack.metrics import metrics_view

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("customers.urls")),
    path("", include("vendors.urls")),
    path("", include("bills.urls")),
    path("", include("expenses.urls")),
    path("", include("invoices.urls")),
    path("", include("payments.urls")),
    path("", include("credits.urls")),
    path("", include("audit.urls")),
    path("", include("rates.urls")),
    path("", include("reports.urls")),
    path("", include("emails.urls")),
    path("", include("webhooks.urls")),
    path("", include("recurring.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Before the admin's own URLs, so its login page is throttled like the API's.
    path("admin/login/", throttled_admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # django-prometheus' figures plus the business ones, behind METRICS_TOKEN when set.
    path("metrics", metrics_view, name="prometheus-django-metrics"),
]

# API clients get the JSON error shape even for URLs no view matched.
handler400 = "fintrack.views.bad_request"
handler403 = "fintrack.views.permission_denied"
handler404 = "fintrack.views.not_found"
handler500 = "fintrack.views.server_error"
