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
        """Return this row re-read under `SELECT ... FOR UPDATE` (call inside atomic())."""
        return type(self)._base_manager.select_for_update().get(pk=self.pk)
