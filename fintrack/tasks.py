"""The periodic jobs beat runs (spec 16; the schedule is `CELERY_BEAT_SCHEDULE`).

Each calls what its management command calls, so cron users keep the commands and get
the same work.
"""

import structlog
from celery import shared_task
from django.core.management import CommandError, call_command

from accounts.models import Organization
from core.outbox import relay
from invoices.models import Invoice

logger = structlog.get_logger(__name__)


@shared_task(name="fintrack.tasks.relay_outbox")
def relay_outbox():
    """Hand every due event, webhook delivery and e-mail to the workers."""
    return relay()


@shared_task(name="fintrack.tasks.emit_overdue_events")
def emit_overdue_events():
    return sum(Invoice.emit_overdue_events(org) for org in Organization.objects.iterator())


@shared_task(name="fintrack.tasks.send_reminders")
def send_reminders():
    call_command("send_reminders")


@shared_task(name="fintrack.tasks.run_recurring")
def run_recurring():
    """Invoice the due periods of the recurring invoices (spec 16)."""
    call_command("run_recurring")


@shared_task(name="fintrack.tasks.purge_idempotency_keys")
def purge_idempotency_keys():
    call_command("purge_idempotency_keys")


@shared_task(name="fintrack.tasks.verify_ledger")
def verify_ledger():
    """The nightly check; a violation is logged as an error (alerting watches for it)."""
    try:
        call_command("verify_ledger")
    except CommandError as error:
        logger.error("verify_ledger.failed", error=str(error))
        raise
