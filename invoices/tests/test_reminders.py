"""`manage.py send_reminders` (spec 7): schedule, catch-up, exactly once, dry run, races."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from customers.tests.factories import CustomerFactory
from fintrack.tests.races import raised, run_at_once
from invoices import reminders
from invoices.models import Invoice, InvoiceReminder
from invoices.reminders import latest_due_stage
from invoices.tests.document_factories import draft_invoice, pay, sent_invoice

pytestmark = pytest.mark.django_db
DUE = date(2025, 3, 31)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """`run(as_of, *flags)` -> the command's output; e-mails queued on commit are sent."""

    def execute(as_of=None, *flags):
        out = StringIO()
        args = [*flags] + (["--as-of", as_of.isoformat()] if as_of else [])
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", *args, stdout=out, stderr=out)
        return out.getvalue()

    return execute


def stages(invoice):
    return list(InvoiceReminder.objects.filter(invoice=invoice).values_list("stage", flat=True))


def test_latest_due_stage_picks_the_last_stage_whose_day_has_come():
    schedule = [-3, 0, 7, 14, 30]
    assert latest_due_stage(DUE, schedule, DUE - timedelta(days=4)) is None
    assert latest_due_stage(DUE, schedule, DUE - timedelta(days=3)) == -3
    assert latest_due_stage(DUE, schedule, DUE + timedelta(days=20)) == 14
    assert latest_due_stage(DUE, schedule, DUE + timedelta(days=400)) == 30


def test_each_stage_is_sent_exactly_once_across_repeated_runs(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    run(DUE - timedelta(days=4))
    assert mailoutbox == []
    for offset in (-3, 0, 7, 14, 30):
        day = DUE + timedelta(days=offset)
        before = len(mailoutbox)
        run(day)
        run(day)  # the same day again: nothing new
        assert len(mailoutbox) == before + 1
        assert stages(invoice)[-1] == offset
    run(DUE + timedelta(days=90))
    assert len(mailoutbox) == 5
    assert stages(invoice) == [-3, 0, 7, 14, 30]
    assert all(message.to == [invoice.customer.email] for message in mailoutbox)
    assert all(invoice.number in message.subject for message in mailoutbox)
    assert all(message.attachments[0][2] == "application/pdf" for message in mailoutbox)


def test_after_a_20_day_gap_only_the_latest_due_stage_is_sent(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    run(DUE - timedelta(days=3))
    output = run(DUE + timedelta(days=20))
    assert len(mailoutbox) == 2
    assert stages(invoice) == [-3, 14]
    assert "stage +14" in output
    assert "overdue" in mailoutbox[-1].subject.lower()
    # The wording is true on the day the e-mail leaves (--as-of only picks the stage).
    assert "was due on Mar 31, 2025" in mailoutbox[-1].body


def test_missed_stages_are_never_sent_later(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    run(DUE + timedelta(days=20))
    # Going back (or a delayed run with an old date) must not dig up stages 0 or 7.
    run(DUE + timedelta(days=8))
    run(DUE)
    assert stages(invoice) == [14]
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("state", ["draft", "paid", "void"])
def test_draft_paid_and_void_invoices_get_no_reminder(state, organization, mailoutbox, run):
    if state == "draft":
        invoice = draft_invoice(organization, issue_date=DUE, due_date=DUE)
    else:
        invoice = sent_invoice(organization, due_date=DUE)
        if state == "paid":
            pay(invoice, invoice.total)
        else:
            invoice.void(reason="duplicate", actor=User.objects.system_actor())
    run(DUE + timedelta(days=7))
    assert mailoutbox == []
    assert stages(invoice) == []


def test_partially_paid_invoice_is_reminded(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    pay(invoice, "34.50")
    run(DUE + timedelta(days=7))
    assert stages(invoice) == [7]
    assert "$1,200.00" in mailoutbox[0].body


def test_dry_run_sends_nothing_and_records_nothing(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    output = run(DUE + timedelta(days=7), "--dry-run")
    assert f"would send: Acme Ltd invoice {invoice.number} stage +7" in output
    assert "1 reminder(s) would be sent" in output
    assert mailoutbox == []
    assert not InvoiceReminder.objects.exists()


def test_dry_run_does_not_plan_a_stage_already_recorded_or_passed(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    run(DUE + timedelta(days=20))
    assert stages(invoice) == [14]
    # Stage +14 is recorded and the earlier ones were passed over: nothing is due again,
    # neither on the same day nor on an older --as-of.
    for day in (DUE + timedelta(days=20), DUE + timedelta(days=8)):
        output = run(day, "--dry-run")
        assert "would send" not in output
        assert "0 reminder(s) would be sent" in output
    assert "already sent elsewhere: 0" in run(DUE + timedelta(days=20))
    assert len(mailoutbox) == 1


def test_a_stage_passed_by_another_run_after_planning_is_not_sent(
    organization, mailoutbox, run, monkeypatch
):
    invoice = sent_invoice(organization, due_date=DUE)
    planned = reminders.plan_reminders

    def plan_then_another_run_records_a_later_stage(**kwargs):
        plans = planned(**kwargs)
        # Between this plan (stage +14) and its send, a run with a later --as-of sent +30.
        InvoiceReminder.objects.create(organization=organization, invoice=invoice, stage=30)
        return plans

    monkeypatch.setattr(reminders, "plan_reminders", plan_then_another_run_records_a_later_stage)
    output = run(DUE + timedelta(days=20))
    assert "already sent elsewhere: 1" in output
    assert stages(invoice) == [30]
    assert mailoutbox == []


def test_as_of_selects_the_day_the_schedule_is_evaluated_for(organization, mailoutbox, run):
    invoice = sent_invoice(organization, due_date=DUE)
    run(DUE - timedelta(days=10))
    assert mailoutbox == []
    run(DUE)
    assert stages(invoice) == [0]


def test_without_as_of_each_organization_uses_its_own_today(
    organization, mailoutbox, run, monkeypatch
):
    # Noon UTC on 31 March is already 1 April on Kiritimati (UTC+14).
    noon_utc = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon_utc)
    organization.time_zone = "Pacific/Kiritimati"
    organization.save()
    invoice = sent_invoice(organization, due_date=date(2025, 3, 25))
    run()
    # Stage +7 (1 April) is due there; by the UTC date only stage 0 would be.
    assert stages(invoice) == [7]
    assert "7 days overdue" in mailoutbox[0].body


def test_invalid_as_of_is_a_command_error(db):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("send_reminders", "--as-of", "31/03/2025")


def test_organization_schedule_is_used(organization, other_organization, mailoutbox, run):
    organization.reminder_days = [5]
    organization.save()
    other_organization.reminder_days = []
    other_organization.save()
    ours = sent_invoice(organization, due_date=DUE)
    theirs = sent_invoice(other_organization, due_date=DUE)
    run(DUE + timedelta(days=4))
    assert mailoutbox == []
    run(DUE + timedelta(days=40))
    assert stages(ours) == [5]
    assert stages(theirs) == []


def test_customer_without_email_is_reported_and_not_recorded(organization, mailoutbox, run):
    customer = CustomerFactory(organization=organization, email="")
    invoice = sent_invoice(organization, customer=customer, due_date=DUE)
    output = run(DUE)
    assert "customer has no e-mail" in output
    assert stages(invoice) == []
    customer.email = "ap@globex.example"
    customer.save()
    run(DUE)
    assert stages(invoice) == [0]
    assert mailoutbox[0].to == ["ap@globex.example"]


def test_dry_run_neither_lists_nor_counts_a_reminder_the_run_would_skip(organization, run):
    sent_invoice(organization, due_date=DUE)
    no_email = CustomerFactory(organization=organization, email="")
    skipped = sent_invoice(organization, customer=no_email, due_date=DUE)
    output = run(DUE, "--dry-run")
    assert output.count("would send:") == 1
    assert "1 reminder(s) would be sent; customer without e-mail: 1" in output
    assert f"would skip (customer has no e-mail): Acme Ltd invoice {skipped.number}" in output
    # The real run agrees with its rehearsal.
    assert "Reminders sent: 1;" in run(DUE)


def test_summary_counts_what_was_sent(organization, run):
    sent_invoice(organization, due_date=DUE)
    sent_invoice(organization, due_date=DUE)
    assert "Reminders sent: 2" in run(DUE)
    assert "Reminders sent: 0" in run(DUE)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_once(organization):
    mail.outbox = []
    invoices = [sent_invoice(organization, due_date=DUE) for _ in range(8)]

    def run(_):
        call_command("send_reminders", "--as-of", DUE.isoformat(), stdout=StringIO())

    assert raised(run_at_once(run, range(2))) == []
    assert InvoiceReminder.objects.count() == len(invoices)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        invoice.customer.email for invoice in invoices
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_skip_an_invoice_another_transaction_holds_and_send_the_rest_once(organization):
    mail.outbox = []
    invoices = [sent_invoice(organization, due_date=DUE) for _ in range(6)]
    held = invoices[0]
    locked, release = threading.Event(), threading.Event()
    errors = []

    def hold_the_lock():
        # A third transaction, e.g. a payment in progress, holds one invoice's row lock.
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    def send_reminders():
        try:
            call_command("send_reminders", "--as-of", DUE.isoformat(), stdout=StringIO())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        runs = [threading.Thread(target=send_reminders) for _ in range(2)]
        for thread in runs:
            thread.start()
        # Both runs finish while the lock is still held: neither waited for it. (Only a
        # bound for a hang; a run that waited would never finish before the release.)
        for thread in runs:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in runs)
        assert errors == []
        assert not stages(held)
        assert sorted(InvoiceReminder.objects.values_list("invoice_id", flat=True)) == sorted(
            invoice.pk for invoice in invoices[1:]
        )
    finally:
        release.set()
        holder.join()
    # Once the lock is gone the next run sends the skipped reminder, and only that one.
    call_command("send_reminders", "--as-of", DUE.isoformat(), stdout=StringIO())
    assert stages(held) == [0]
    assert InvoiceReminder.objects.count() == len(invoices)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        invoice.customer.email for invoice in invoices
    )
