from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from accounts.parties import Party


class Customer(Party):
    """Someone an organization bills. Archiving hides it but keeps its invoices."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="customers"
    )

    history = HistoricalRecords()

    class Meta(Party.Meta):
        indexes = [models.Index(fields=["organization", "name"])]
