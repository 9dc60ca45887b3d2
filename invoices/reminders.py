"""Payment reminders: the scheduled run (`send_reminders`) and the manual `remind` action.

Schedule: each organization's `reminder_days` are stages in days relative to the due date
(default -3, 0, 7, 14, 30). A stage is due once `due_date + stage <= today`.

Decisions where the spec is silent:
- Catch-up sends only the LATEST due stage. When the job did not run for a while, the
  earlier stages it missed are considered done and are never recorded or sent: an invoice
  gets one reminder per run at most, never a burst of stale ones. Because a stage is only
  sent when no stage at or after it has been recorded, a missed stage can never be sent
  later (not even after `--as-of` goes back in time or the schedule gains a stage).
- Only receivable invoices (sent, partially paid) with a balance get reminders; drafts,
  paid and void invoices never do. A customer without e-mail is reported and skipped
  (nothing is recorded, so the stage goes out once an address is added, if still latest).
- A manual reminder (`POST invoices/{id}/remind/`) sends the e-mail only; it records no
  `InvoiceReminder` row, because rows are the schedule's memory and a manual nudge must not
  stop the next scheduled one. The invoice itself is not changed either.
- Nothing here writes history: reminders change no tracked model (`InvoiceReminder` is a
  plain log row), so no actor is recorded.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization
from core.locking import lock
from invoices.mail import ensure_can_email, queue_invoice_email
from invoices.models import Invoice, InvoiceReminder

logger = logging.getLogger(__name__)


def latest_due_stage(due_date: date, stages, today: date) -> int | None:
    """The last stage whose day (`due_date + stage`) is on or before `today`."""
    # Compared as day counts: adding days to an extreme due date could overflow `date`.
    days_since_due = (today - due_date).days
    due = [stage for stage in stages if stage <= days_since_due]
    return max(due) if due else None


@dataclass
class ReminderPlan:
    """One reminder the run intends to send."""

    invoice_id: int
    number: str
    organization: str
    stage: int
    email: str


@dataclass
class ReminderRun:
    """What a run did, for the command's summary."""

    sent: list = field(default_factory=list)
    already_sent: int = 0
    locked: int = 0
    no_email: list = field(default_factory=list)


def plan_reminders(*, as_of: date | None = None):
    """Every reminder due now and not yet covered by a recorded stage (reads only).

    `as_of` replaces each organization's own today (its time zone) when given.
    """
    plans = []
    for organization in Organization.objects.order_by("pk"):
        stages = sorted(set(organization.reminder_days or []))
        if not stages:
            continue
        today = as_of or organization.today()
        # An invoice needs a reminder once its earliest stage day has come.
        candidates = (
            Invoice.objects.allowing("remind")
            .filter(
                organization=organization,
                balance_due__gt=0,
                due_date__lte=today - timedelta(days=stages[0]),
            )
            .select_related("customer")
            .order_by("due_date", "pk")
        )
        sent_stages = _latest_recorded_stages(candidates)
        for invoice in candidates:
            stage = latest_due_stage(invoice.due_date, stages, today)
            recorded = sent_stages.get(invoice.pk)
            if stage is None or (recorded is not None and recorded >= stage):
                continue
            plans.append(
                ReminderPlan(
                    invoice_id=invoice.pk,
                    number=invoice.number,
                    organization=organization.name,
                    stage=stage,
                    email=invoice.customer.email,
                )
            )
    return plans


def _latest_recorded_stages(invoices) -> dict[int, int]:
    rows = (
        InvoiceReminder.objects.filter(invoice__in=invoices.values("pk"))
        .values("invoice_id")
        .annotate(latest=Max("stage"))
    )
    return {row["invoice_id"]: row["latest"] for row in rows}


def send_due_reminders(*, as_of: date | None = None) -> ReminderRun:
    """Send every planned reminder, each in its own transaction, at most once ever.

    Safe to run on several machines at once: each send locks its invoice row with
    SKIP LOCKED (another run holding it is left alone), re-checks on the locked row, and
    the unique (invoice, stage) constraint is the last guard.
    """
    run = ReminderRun()
    for plan in plan_reminders(as_of=as_of):
        if not plan.email:
            run.no_email.append(plan)
            continue
        outcome = _send_one(plan)
        if outcome == "sent":
            run.sent.append(plan)
        elif outcome == "locked":
            run.locked += 1
        else:
            run.already_sent += 1
    return run


def _send_one(plan: ReminderPlan) -> str:
    try:
        with transaction.atomic():
            # SKIP LOCKED: a row locked by another run (or a payment in progress) is that
            # transaction's business; this run moves on instead of waiting and sending twice.
            invoice = lock(Invoice, skip_locked=True, pk=plan.invoice_id)
            if invoice is None:
                return "locked"
            # Re-check on the locked row: it may have been paid, voided or reminded since
            # the plan was read.
            if not invoice.can("remind") or invoice.balance_due <= 0:
                return "already"
            if InvoiceReminder.objects.filter(invoice=invoice, stage__gte=plan.stage).exists():
                return "already"
            InvoiceReminder.objects.create(
                organization_id=invoice.organization_id,
                invoice=invoice,
                stage=plan.stage,
                sent_at=timezone.now(),
            )
            # The e-mail leaves after this transaction commits, never for a rolled-back row.
            queue_invoice_email(invoice, kind="reminder")
    except IntegrityError:
        # Another run recorded the same stage between our check and insert.
        return "already"
    return "sent"


def send_manual_reminder(invoice, *, actor, expected_version=None):
    """E-mail a reminder for a sent or partially paid invoice now (after commit).

    409 `invalid_status` for any other status, 400 `customer_no_email` without an address.
    Records nothing (see the module docstring).
    """
    with transaction.atomic():
        # Lock so a void or final payment committing right now is seen before we remind.
        locked = invoice.lock(expected_version=expected_version)
        locked.ensure_can("remind")
        ensure_can_email(locked)
        queue_invoice_email(locked, kind="reminder")
    # No InvoiceReminder row: the log line is the record that someone reminded by hand.
    logger.info("Manual reminder for invoice %s queued by %s", locked, actor)
