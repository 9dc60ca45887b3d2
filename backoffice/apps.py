from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The finance staff's back office (spec 17): the dashboard, the invoice page's command
    buttons, the customer's page and statement, list filters and money display. The admin
    classes of each app use it; it owns no model."""

    name = "backoffice"
    verbose_name = "Back office"
