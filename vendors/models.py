from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from accounts.parties import Party


class Vendor(Party):
    """Someone who bills the organization (spec 19). Archiving hides it but keeps its bills
    and expenses."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="vendors")

    history = HistoricalRecords()

    class Meta(Party.Meta):
        indexes = [models.Index(fields=["organization", "name"])]
