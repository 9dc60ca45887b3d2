from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from accounts.parties import Party
from core.outbox import emit
from core.transactions import atomic_step
from customers.payloads import customer_payload


class Customer(Party):
    """Someone an organization bills. Archiving hides it but keeps its invoices."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="customers"
    )

    history = HistoricalRecords()

    class Meta(Party.Meta):
        indexes = [models.Index(fields=["organization", "name"])]

    def save(self, *args, **kwargs):
        created = self._state.adding
        # The row and its event commit together (spec 16), on every path that saves a
        # customer: the API, the admin, archive and restore.
        with atomic_step():
            super().save(*args, **kwargs)
            emit(
                "customer.created" if created else "customer.updated",
                organization_id=self.organization_id,
                data=customer_payload(self),
            )
