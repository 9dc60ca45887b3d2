"""Model building blocks shared by the domain apps."""

from django.db import models, transaction

from fintrack.exceptions import ConcurrentModification


class VersionedModel(models.Model):
    """Optimistic concurrency: `version` grows by one on every save of an existing row.

    A save whose in-memory `version` is no longer the row's version lost a race with
    another writer and raises `ConcurrentModification` instead of overwriting its change.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            # The lock makes check-and-write one step: a second writer waits here, then
            # sees the version the first one wrote.
            current = (
                type(self)
                ._base_manager.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != self.version:
                raise ConcurrentModification()
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            return super().save(*args, **kwargs)

    def lock(self):
        """Return this row re-read under `SELECT ... FOR UPDATE` (call inside atomic()).

        A row deleted since this instance was read (e.g. a draft deleted while another
        request was sending it) lost a race like a stale save does: `ConcurrentModification`
        (409), never a `DoesNotExist` escaping as a 500.
        """
        try:
            return type(self)._base_manager.select_for_update().get(pk=self.pk)
        except type(self).DoesNotExist:
            raise ConcurrentModification() from None


class IdempotencyKeyStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(models.Model):
    """One client-chosen `Idempotency-Key` (spec 11) and the response it produced.

    The row is claimed by INSERT before the request runs: the unique (scope, key) constraint
    makes the claim atomic, so two concurrent requests can never both do the work.
    `scope` is the user and organization the key belongs to; `fingerprint` hashes the
    method, path and body so a key reused for another request is detected.
    """

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20,
        choices=IdempotencyKeyStatus.choices,
        default=IdempotencyKeyStatus.IN_PROGRESS,
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    response_content_type = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="idempotency_key_unique_per_scope"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.key} ({self.status})"
