"""Audit events read from django-simple-history's tables (spec 8).

An *event* is one historical row rendered as
`{id, model, object_id, action, changes, user, timestamp}`. `changes` compares the row
with the previous historical row of the same object (`{field: [old, new]}`); a creation
lists the initial non-empty values as `[None, value]`, a deletion lists nothing.

Event ids are strings `"<model>:<history_id>"`: history ids are only unique within one
historical table, and the organization log merges all of them.

Loading is set-based so a page costs a constant number of queries whatever its size:
one query per model present on the page for its rows (each annotated with the id of the
previous row of the same object) and one for those previous rows.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, OuterRef, Subquery, Value
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Membership, Organization
from bills.models import Bill, BillLine, BillPayment
from credits.models import CreditNote, CreditNoteLine, WriteOff
from customers.models import Customer
from expenses.models import Expense, ExpenseCategory
from invoices.models import Invoice, InvoiceLine
from payments.models import Payment
from recurring.models import RecurringInvoice, RecurringInvoiceLine
from vendors.models import Vendor

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
HISTORY_TYPES = {action: history_type for history_type, action in ACTIONS.items()}
# Bookkeeping that changes on every save and only repeats the event's own timestamp.
SKIPPED_FIELDS = frozenset({"id", "updated_at"})
_DATETIME = serializers.DateTimeField()


@dataclass(frozen=True)
class Source:
    """One tracked model and how its historical rows are tied to an organization."""

    name: str
    model: type
    # Historical rows of tenant models carry organization_id; an organization's own rows
    # are the ones whose id is the organization's.
    organization_field: str = "organization_id"

    @property
    def history(self):
        return self.model.history

    def rows_of(self, organization):
        return self.history.filter(**{self.organization_field: organization.pk})


SOURCES = {
    source.name: source
    for source in (
        Source("invoice", Invoice),
        Source("invoiceline", InvoiceLine),
        Source("payment", Payment),
        Source("creditnote", CreditNote),
        Source("creditnoteline", CreditNoteLine),
        Source("writeoff", WriteOff),
        Source("customer", Customer),
        Source("vendor", Vendor),
        Source("bill", Bill),
        Source("billline", BillLine),
        Source("billpayment", BillPayment),
        Source("expense", Expense),
        Source("expensecategory", ExpenseCategory),
        Source("recurringinvoice", RecurringInvoice),
        Source("recurringinvoiceline", RecurringInvoiceLine),
        Source("membership", Membership),
        Source("organization", Organization, organization_field="id"),
    )
}


@dataclass(frozen=True)
class Event:
    id: str
    model: str
    object_id: int
    action: str
    changes: dict
    user: object  # accounts.User or None
    timestamp: datetime.datetime


def plain(value):
    """A JSON-ready value: money and dates as strings, everything else as stored."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return _DATETIME.to_representation(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def changes_between(previous, row) -> dict:
    """`{field: [old, new]}` for every tracked field that differs between two rows."""
    changes = {}
    for field in row.tracked_fields:
        if field.name in SKIPPED_FIELDS:
            continue
        new = getattr(row, field.attname)
        if previous is None:
            if new is None or new == "":
                continue
            old = None
        else:
            old = getattr(previous, field.attname)
            if old == new:
                continue
        changes[field.name] = [plain(old), plain(new)]
    return changes


def to_event(source: Source, row, previous) -> Event:
    action = ACTIONS[row.history_type]
    return Event(
        id=f"{source.name}:{row.history_id}",
        model=source.name,
        object_id=row.id,
        action=action,
        changes={} if action == "deleted" else changes_between(previous, row),
        user=row.history_user,
        timestamp=row.history_date,
    )


def object_events(source: Source, object_id: int) -> list[Event]:
    """All events of one object, oldest first (one query)."""
    rows = source.history.filter(id=object_id).select_related("history_user")
    events, previous = [], None
    for row in rows.order_by("history_id"):
        events.append(to_event(source, row, previous))
        previous = row
    return events


@dataclass(frozen=True)
class EventFilter:
    models: tuple[str, ...] = tuple(SOURCES)
    object_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None  # exclusive


def event_index(organization, event_filter: EventFilter):
    """A queryset of `{source, history_id, history_date}` for the organization's whole log,
    newest first: a UNION ALL over the historical tables, so counting and slicing a page
    are single queries."""
    parts = []
    for name in event_filter.models:
        rows = SOURCES[name].rows_of(organization)
        if event_filter.object_id is not None:
            rows = rows.filter(id=event_filter.object_id)
        if event_filter.user_id is not None:
            rows = rows.filter(history_user_id=event_filter.user_id)
        if event_filter.action is not None:
            rows = rows.filter(history_type=HISTORY_TYPES[event_filter.action])
        if event_filter.since is not None:
            rows = rows.filter(history_date__gte=event_filter.since)
        if event_filter.until is not None:
            rows = rows.filter(history_date__lt=event_filter.until)
        parts.append(
            rows.order_by()
            .annotate(source=Value(name, output_field=CharField()))
            .values("history_id", "history_date", "source")
        )
    index = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return index.order_by("-history_date", "-source", "-history_id")


def load_events(keys) -> list[Event]:
    """Turn index entries (dicts from `event_index`) into events, keeping their order."""
    ids_by_source: dict[str, list[int]] = {}
    for key in keys:
        ids_by_source.setdefault(key["source"], []).append(key["history_id"])
    loaded = {}
    for name, ids in ids_by_source.items():
        source = SOURCES[name]
        previous_id = (
            source.history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        rows = list(
            source.history.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(previous_id=Subquery(previous_id))
        )
        wanted = {row.previous_id for row in rows if row.previous_id is not None}
        previous = {row.history_id: row for row in source.history.filter(history_id__in=wanted)}
        for row in rows:
            event = to_event(source, row, previous.get(row.previous_id))
            loaded[(name, row.history_id)] = event
    return [loaded[(key["source"], key["history_id"])] for key in keys]


def as_bound(value, organization, *, end: bool) -> datetime.datetime:
    """A `since`/`until` value as an aware UTC datetime.

    Naive values are read in the organization's time zone. A bare date covers the whole
    day: `since=<date>` starts at its midnight, `until=<date>` ends at the next midnight.
    In UTC because PostgreSQL refuses offsets beyond ±15:59 that Python accepts (+17:41).
    A bound past year 9999 or before year 1 (`until=9999-12-31`) is the edge of time: no
    event lies beyond it, and an OverflowError would be a 500.
    """
    try:
        return _local_bound(value, organization, end=end).astimezone(datetime.UTC)
    except OverflowError:
        edge = datetime.datetime.max if value.year > 1 else datetime.datetime.min
        return edge.replace(tzinfo=datetime.UTC)


def _local_bound(value, organization, *, end: bool) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(organization.time_zone))
        # `until` is inclusive for a datetime; the query compares with "<".
        return value + datetime.timedelta(microseconds=1) if end else value
    if end:
        value = value + datetime.timedelta(days=1)
    return datetime.datetime.combine(
        value, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(organization.time_zone)
    )
