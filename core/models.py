"""The transactional outbox: domain events stored with the change that caused them.

`LeasedWork` is the shape every row of work that leaves the building shares (events here,
webhook deliveries and e-mails in their apps): pending until done, handed to the queue under
a lease, claimed again by the relay once the lease expires unfinished (core/outbox.py).
"""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class LeasedWork(models.Model):
    """A row of work done at least once, by whoever holds its lease.

    `lease_token` names the one hand-off allowed to work on the row until `lease_until`; a
    task whose token no longer matches (the lease expired and the row was claimed again)
    does nothing. `next_attempt_at` is when the row is due (now, or after a backoff).
    Subclasses name their status field's pending value in `PENDING` and their Celery task.
    """

    PENDING = "pending"
    TASK = ""

    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"


class OutboxEvent(LeasedWork):
    """One domain event (spec 16), written in the transaction of the change it describes.

    `payload` is the object as the API showed it at that moment, rendered then; consumers
    never re-read it. `organization_id` is a plain column: the core knows no app's model.
    `key` makes an event that may happen once per object (`invoice.overdue`) unique.
    """

    TASK = "webhooks.tasks.dispatch_event"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    organization_id = models.BigIntegerField(db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.type} {self.id}"
