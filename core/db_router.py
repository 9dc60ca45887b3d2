"""Report and export reads on the read replica (`DATABASE_REPLICA_URL`); all else on default.

Reads opt in: only code run inside `report_reads()` (the report views) or a queryset bound
with `report_database()` (CSV/XLSX exports, which stream after the view has returned)
reads from the replica. Everything else — authentication, lists, and every money
transaction — reads from the primary, so a decision that leads to a write never sees a
stale row. Two more rules keep the primary authoritative:

- inside a transaction on the primary (`atomic`), reads stay there: a replica cannot see
  the transaction's own uncommitted writes, and a money operation reads what it locks;
- without a replica alias (no `DATABASE_REPLICA_URL`) every read is on the primary.

Writes always go to the primary; a streaming replica would refuse them anyway.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_report_reads = ContextVar("report_reads", default=False)


def replica_database() -> str | None:
    """The replica's alias when one is configured."""
    alias = settings.REPLICA_DATABASE
    return alias if alias in settings.DATABASES else None


def report_database() -> str:
    """Where a report or export reads now: the replica, unless the primary has an open
    transaction (or there is no replica)."""
    replica = replica_database()
    if replica is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return replica


@contextmanager
def report_reads() -> Iterator[None]:
    """Send the reads made in this block to `report_database()`."""
    token = _report_reads.set(True)
    try:
        yield
    finally:
        _report_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _report_reads.get():
            return report_database()
        # None: Django reads related rows where their instance came from (a row an export
        # loaded from the replica fetches its relations there too), else from default.
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: rows from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica receives the primary's schema through replication.
        return db != settings.REPLICA_DATABASE
