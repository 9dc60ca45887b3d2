"""Optimistic concurrency for domain models: a version on every row, checked on write."""

import functools

from django.db import models

from core.compiled_query import CompiledUpdate
from core.errors import ConcurrentModification
from core.locking import lock
from core.transactions import atomic_step, is_locked


class VersionedModel(models.Model):
    """Optimistic concurrency: `version` grows by one on every save of an existing row.

    A save whose in-memory `version` is no longer the row's version lost a race with
    another writer and raises `ConcurrentModification` instead of overwriting its change.

    Commands take an explicit `expected_version` (the client's If-Match, the version an
    admin page loaded) and check it on the row they lock (`lock(expected_version=...)`);
    a plain save checks it in its UPDATE (`save(expected_version=...)`). A mismatch is
    `ConcurrentModification`, which the API answers 412 when it came from If-Match.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, expected_version=None, **kwargs):
        if self._state.adding:
            return super().save(*args, **kwargs)
        read_version = self.version if expected_version is None else expected_version
        self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        # The history row must commit with the update; no savepoint inside the request-wide
        # transaction (core.transactions).
        with atomic_step():
            self._read_version = read_version
            try:
                return super().save(*args, **kwargs)
            except BaseException:
                self.version = read_version
                raise
            finally:
                del self._read_version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        """The version check and the write are one statement: `UPDATE ... WHERE id = %s AND
        version = <the version this instance was read at>`. A row changed or deleted since
        matches nothing, and that is a lost race (409), never an INSERT in its place."""
        read_version = getattr(self, "_read_version", None)
        if read_version is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        updated = versioned_update(base_qs.model).update(
            {"pk": pk_val, "version": read_version},
            {field.name: value for field, _, value in values},
            using=using,
        )
        if updated != 1:
            raise ConcurrentModification()
        return True

    def lock(self, *, expected_version=None):
        """Return this row re-read under `SELECT ... FOR UPDATE` (call inside atomic()).
        Lock order: `core.locking`. With `expected_version`, a locked row at any other
        version is refused (`ConcurrentModification`): the caller decided on another state.

        A row deleted since this instance was read (e.g. a draft deleted while another
        request was sending it) lost a race like a stale save does: `ConcurrentModification`
        (409), never a `DoesNotExist` escaping as a 500. Related objects this instance had
        already loaded (its organization, say) are handed to the locked copy when it points
        at the same rows, rather than read again.
        """
        if is_locked(self):
            locked = self  # read FOR UPDATE by the view, in this same request transaction
        else:
            try:
                locked = lock(type(self), pk=self.pk)
            except type(self).DoesNotExist:
                raise ConcurrentModification() from None
            share_loaded_relations(self, locked)
        locked.ensure_version(expected_version)
        return locked

    def ensure_version(self, expected_version):
        """Refuse (`ConcurrentModification`) unless this row, read locked, is at
        `expected_version` (None: any version)."""
        if expected_version is not None and self.version != expected_version:
            raise ConcurrentModification()


def share_loaded_relations(source: models.Model, target: models.Model) -> None:
    """Give `target` the many-to-one objects `source` has cached, where both point at the
    same row (same foreign key value): a fresh read of the same row would be identical."""
    for field in source._meta.concrete_fields:
        if (
            field.is_relation
            and field.many_to_one
            and field.is_cached(source)
            and getattr(source, field.attname) == getattr(target, field.attname)
        ):
            field.set_cached_value(target, field.get_cached_value(source))


@functools.cache
def versioned_update(model) -> CompiledUpdate:
    """`UPDATE <model> SET ... WHERE id = %s AND version = %s`, compiled once per shape:
    every save of a versioned row runs it."""
    return CompiledUpdate(
        model,
        lambda pk, version: model._base_manager.filter(pk=pk, version=version),
        pk=model._meta.pk,
        version=model._meta.get_field("version"),
    )
