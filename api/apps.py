"""FinTrack's HTTP API layer: tenancy and roles, If-Match, idempotency, errors, formats.

It sits above every domain app: the apps' models never import it (nor DRF); their views
and serializers build on it.
"""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "FinTrack API"
