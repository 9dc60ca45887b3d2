"""Writing events to the outbox and handing leased work to the queue (spec 16).

- `emit` writes an event in the caller's transaction, already leased, and hands it to the
  queue once that transaction commits: a change that rolls back leaves no event, and a
  committed one is never lost, because an event whose hand-off never ran (the process died,
  the broker was down) is claimed again by the relay when its lease expires.
- `relay` claims every due row of every `LeasedWork` table (events, webhook deliveries,
  e-mails) and hands each to the queue. Redelivery comes from here, not from the broker.
- `hand_off` sends a task to Celery when `CELERY_BROKER_URL` is set, and otherwise runs it
  in this process (the embedded default).

Task names are the dotted paths of their functions, so the embedded mode can import a task
by its name without knowing the app it lives in.
"""

import logging
import uuid
from datetime import timedelta
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import LeasedWork, OutboxEvent

logger = logging.getLogger(__name__)

# How many due rows of one table a relay pass claims; the next pass takes the rest.
RELAY_BATCH = 500


def lease_duration() -> timedelta:
    return settings.OUTBOX_LEASE


def new_lease(row: LeasedWork, now=None) -> None:
    """Give an unsaved (or about to be saved) row a fresh lease of its own."""
    row.lease_token = uuid.uuid4()
    row.lease_until = (now or timezone.now()) + lease_duration()


def hand_off_on_commit(row: LeasedWork) -> None:
    """Hand `row` (saved with `new_lease`) to the queue when the transaction commits."""
    transaction.on_commit(partial(hand_off, row.TASK, row.pk, row.lease_token))


def emit(event_type: str, *, organization_id: int, data: dict, key: str | None = None):
    """Write the event `event_type` about `data` (the object as the API shows it now).

    Call inside the transaction of the change. With `key`, an event that already exists
    under that key is not written again (returns None): `invoice.overdue` happens once.
    """
    event = OutboxEvent(type=event_type, organization_id=organization_id, payload=data, key=key)
    new_lease(event)
    if key is None:
        event.save(force_insert=True)
    else:
        try:
            # A savepoint: the refusal of a duplicate key leaves the caller's work intact.
            with transaction.atomic():
                event.save(force_insert=True)
        except IntegrityError:
            return None
    hand_off_on_commit(event)
    return event


def hand_off(task_name: str, pk, token) -> None:
    """Give the row `pk`, leased under `token`, to its task: through the broker when one is
    configured, else run the task here and now. Never raises: if the hand-off fails, the
    row's lease expires and the relay hands it on again."""
    args = (str(pk), str(token))
    try:
        if settings.CELERY_BROKER_URL:
            from celery import current_app

            current_app.send_task(task_name, args=args)
        else:
            import_string(task_name)(*args)
    except Exception:
        logger.exception("outbox.hand_off_failed", extra={"task": task_name, "pk": str(pk)})


def leased_work_models() -> list[type[LeasedWork]]:
    return [model for model in apps.get_models() if issubclass(model, LeasedWork)]


def claim_due(model: type[LeasedWork], *, now=None, limit=RELAY_BATCH) -> list[tuple]:
    """Lease up to `limit` rows of `model` that are pending, due and not leased (or whose
    lease expired): `[(pk, token)]`. Several relays may run at once: rows another relay is
    claiming are skipped (`skip_locked`), and a row gets one lease at a time."""
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            model.objects.select_for_update(skip_locked=True)
            .filter(status=model.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        pks = list(due)
        if not pks:
            return []
        token = uuid.uuid4()
        model.objects.filter(pk__in=pks).update(
            lease_token=token, lease_until=now + lease_duration()
        )
    return [(pk, token) for pk in pks]


def relay(*, now=None) -> dict[str, int]:
    """Claim every due row of every leased table and hand it on; how many, per table."""
    handed = {}
    for model in leased_work_models():
        claimed = claim_due(model, now=now)
        for pk, token in claimed:
            hand_off(model.TASK, pk, token)
        handed[model._meta.label] = len(claimed)
    return handed


def take(rows, pk, token):
    """The pending row `pk` of `rows` (a `LeasedWork` model or queryset) if `token` still
    holds its lease, else None (it is done, or its lease expired and another hand-off
    claimed it: that one does the work)."""
    rows = rows.objects.all() if isinstance(rows, type) else rows
    return rows.filter(pk=pk, lease_token=token, status=rows.model.PENDING).first()
