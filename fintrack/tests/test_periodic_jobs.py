"""Beat's schedule (spec 16) names tasks that exist, and each job does its command's work."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError
from django.utils.module_loading import import_string

from core.models import OutboxEvent
from fintrack import tasks
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory

SPEC_JOBS = {
    "fintrack.tasks.relay_outbox",
    "fintrack.tasks.send_reminders",
    "fintrack.tasks.purge_idempotency_keys",
    "fintrack.tasks.verify_ledger",
    "fintrack.tasks.emit_overdue_events",
    "fintrack.tasks.run_recurring",
}


def test_every_scheduled_job_is_a_task_of_its_own_name():
    names = {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}

    assert names == SPEC_JOBS
    for name in names:
        assert import_string(name).name == name


@pytest.mark.django_db
def test_the_overdue_job_announces_the_invoices_that_became_overdue(organization, time_machine):
    invoice = InvoiceFactory(organization=organization, sent=True, total="10.00")
    time_machine.move_to(invoice.due_date + timedelta(days=1, hours=12))

    assert tasks.emit_overdue_events() == 1
    assert OutboxEvent.objects.filter(type="invoice.overdue").count() == 1


@pytest.mark.django_db
def test_the_nightly_ledger_check_fails_loudly_on_a_violation(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="10.00")
    tasks.verify_ledger()  # a clean ledger passes

    # Damage no command could do: paid 4.00 without a payment row.
    Invoice.objects.filter(pk=invoice.pk).update(
        amount_paid=Decimal("4.00"), balance_due=Decimal("6.00")
    )
    with pytest.raises(CommandError, match="Ledger check failed"):
        tasks.verify_ledger()
