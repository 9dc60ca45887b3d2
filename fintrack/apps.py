from django.apps import AppConfig


class FintrackConfig(AppConfig):
    name = "fintrack"
    verbose_name = "FinTrack platform"
