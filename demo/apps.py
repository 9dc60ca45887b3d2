"""Demo data (`manage.py seed_demo`): the one place that knows every app, so nothing below
has to."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "FinTrack demo data"
