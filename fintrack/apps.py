from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class FintrackConfig(AppConfig):
    name = "fintrack"
    verbose_name = "FinTrack platform"

    def ready(self):
        from fintrack.metrics import register_business_collector

        # Once per process: Prometheus' registry refuses a second collector of one name.
        register_business_collector()


class FinTrackAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, with FinTrack's site as `admin.site` (every `@admin.register`
    and the URLs use it)."""

    default = False  # FintrackConfig stays the default config of the fintrack app
    default_site = "fintrack.admin_site.FinTrackAdminSite"
