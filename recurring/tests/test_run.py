"""The scheduler (spec 16): every due period invoiced exactly once, missed periods caught up,
paused periods skipped, `ended` after the end date."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import structlog
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import User
from core.models import OutboxEvent
from customers.tests.factories import CustomerFactory
from emails.models import EmailMessage
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.serializers import InvoiceSerializer
from recurring.models import RecurringInvoice, RecurringRun, RecurringStatus, run_recurring
from recurring.tests.factories import recurring_invoice

pytestmark = pytest.mark.django_db


def run(as_of):
    """`manage.py run_recurring --as-of` -> (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("run_recurring", "--as-of", as_of.isoformat(), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def issue_dates(template):
    invoices = Invoice.objects.filter(recurring_invoice=template.pk).order_by("issue_date")
    return [invoice.issue_date for invoice in invoices]


def test_the_first_invoice_is_issued_on_the_start_date(organization):
    template = recurring_invoice(organization, start_date=date(2026, 3, 10), days_until_due=14)
    assert template.next_run_on == date(2026, 3, 10)

    run(date(2026, 3, 9))
    assert issue_dates(template) == []

    out, _ = run(date(2026, 3, 10))
    [invoice] = Invoice.objects.filter(recurring_invoice=template.pk)
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 10), date(2026, 3, 24))
    assert invoice.status == InvoiceStatus.DRAFT  # not auto-sent
    assert invoice.total == Decimal("100.00")
    assert [line.description for line in invoice.lines.all()] == ["Retainer"]
    assert invoice.customer_id == template.customer_id
    template.refresh_from_db()
    assert template.last_invoice_id == invoice.pk
    assert template.next_run_on == date(2026, 4, 10)
    assert "1 invoice(s) created" in out


def test_a_three_month_outage_is_caught_up_with_exactly_three_invoices(organization):
    template = recurring_invoice(organization, start_date=date(2026, 1, 15), auto_send=True)
    run(date(2026, 1, 15))
    assert issue_dates(template) == [date(2026, 1, 15)]

    # Nothing ran from January 16 to May 14: February, March and April were missed.
    out, _ = run(date(2026, 5, 14))

    assert issue_dates(template) == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
        date(2026, 4, 15),
    ]
    assert "3 invoice(s) created" in out
    caught_up = Invoice.objects.filter(recurring_invoice=template.pk).order_by("issue_date")
    # Each its own invoice, dated on its period's start, numbered in period order.
    assert [invoice.number for invoice in caught_up] == [
        "INV-00001",
        "INV-00002",
        "INV-00003",
        "INV-00004",
    ]
    # Running again changes nothing.
    run(date(2026, 5, 14))
    assert Invoice.objects.filter(recurring_invoice=template.pk).count() == 4
    assert RecurringRun.objects.filter(template=template).count() == 4
    template.refresh_from_db()
    assert template.next_run_on == date(2026, 5, 15)


def test_a_monthly_template_started_on_january_31_across_february_and_a_leap_year(organization):
    template = recurring_invoice(organization, start_date=date(2027, 1, 31))
    run(date(2028, 4, 30))
    dates = issue_dates(template)
    assert dates[:4] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert date(2028, 2, 29) in dates  # 2028 is a leap year
    assert dates[-3:] == [date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]
    assert len(dates) == 16


def test_a_period_that_falls_while_paused_is_skipped_and_the_next_is_invoiced(
    organization, time_machine
):
    actor = User.objects.system_actor()
    template = recurring_invoice(organization, start_date=date(2026, 1, 1))
    run(date(2026, 1, 1))

    time_machine.move_to("2026-01-20 12:00Z")
    template.pause(actor=actor)
    assert (template.status, template.next_run_on) == (RecurringStatus.PAUSED, None)
    run(date(2026, 2, 10))  # February 1 falls while paused: nothing
    assert issue_dates(template) == [date(2026, 1, 1)]

    time_machine.move_to("2026-02-10 12:00Z")
    template.resume(actor=actor)
    assert (template.status, template.next_run_on) == (RecurringStatus.ACTIVE, date(2026, 3, 1))
    run(date(2026, 2, 10))
    assert issue_dates(template) == [date(2026, 1, 1)]  # February stays skipped
    run(date(2026, 3, 1))
    assert issue_dates(template) == [date(2026, 1, 1), date(2026, 3, 1)]
    skipped = RecurringRun.objects.get(template=template, outcome="skipped")
    assert (skipped.period_start, skipped.invoice) == (date(2026, 2, 1), None)


def test_periods_missed_before_a_pause_are_still_caught_up(organization, time_machine):
    actor = User.objects.system_actor()
    template = recurring_invoice(organization, start_date=date(2026, 1, 1))
    # The runner was down on January 1 and February 1; paused on February 15.
    time_machine.move_to("2026-02-15 12:00Z")
    template.pause(actor=actor)
    time_machine.move_to("2026-03-20 12:00Z")
    template.resume(actor=actor)  # March 1 fell while paused
    run(date(2026, 3, 20))
    assert issue_dates(template) == [date(2026, 1, 1), date(2026, 2, 1)]
    template.refresh_from_db()
    assert template.next_run_on == date(2026, 4, 1)


def test_a_template_ends_once_its_end_date_has_passed_and_its_last_period_is_invoiced(
    organization,
):
    template = recurring_invoice(
        organization, start_date=date(2026, 1, 1), end_date=date(2026, 3, 15)
    )
    run(date(2026, 3, 10))
    template.refresh_from_db()
    assert issue_dates(template) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    # No period left, but the end date has not passed yet.
    assert (template.status, template.next_run_on) == (RecurringStatus.ACTIVE, None)

    out, _ = run(date(2026, 3, 16))
    template.refresh_from_db()
    assert template.status == RecurringStatus.ENDED
    assert f"ended: recurring invoice {template.pk}" in out
    run(date(2026, 12, 31))
    assert len(issue_dates(template)) == 3


def test_a_period_starting_on_the_end_date_is_the_last(organization):
    template = recurring_invoice(
        organization, start_date=date(2026, 1, 1), end_date=date(2026, 3, 1)
    )
    run(date(2026, 6, 1))
    template.refresh_from_db()
    assert issue_dates(template)[-1] == date(2026, 3, 1)
    assert template.status == RecurringStatus.ENDED


def test_auto_send_with_email_numbers_sends_and_mails_each_invoice(
    organization, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organization=organization, email="billing@globex.test")
    template = recurring_invoice(
        organization,
        customer=customer,
        start_date=date(2026, 1, 1),
        auto_send=True,
        auto_email=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run(date(2026, 2, 1))

    invoices = list(Invoice.objects.filter(recurring_invoice=template.pk).order_by("issue_date"))
    assert [invoice.status for invoice in invoices] == [InvoiceStatus.SENT] * 2
    assert [invoice.issue_date for invoice in invoices] == [date(2026, 1, 1), date(2026, 2, 1)]
    messages = EmailMessage.objects.filter(invoice__in=invoices, kind="invoice")
    assert messages.count() == 2
    assert {message.to for message in messages} == {"billing@globex.test"}
    assert len(mailoutbox) == 2
    for invoice in invoices:
        assert sum(invoice.number in message.subject for message in mailoutbox) == 1


def test_events_are_the_invoices_as_the_api_shows_them_with_their_template(organization):
    template = recurring_invoice(organization, start_date=date(2026, 1, 1), auto_send=True)
    run(date(2026, 1, 1))
    [invoice] = Invoice.objects.filter(recurring_invoice=template.pk)
    [created] = OutboxEvent.objects.filter(type="invoice.created")
    [sent] = OutboxEvent.objects.filter(type="invoice.sent")
    assert created.payload["recurring_invoice"] == template.pk
    assert created.payload["status"] == "draft"
    shown = InvoiceSerializer(
        Invoice.objects.with_is_overdue(organization.today()).get(pk=invoice.pk)
    ).data
    assert sent.payload["recurring_invoice"] == template.pk
    assert sent.payload["number"] == shown["number"] == "INV-00001"


def test_the_system_actor_is_recorded_in_the_invoices_and_templates_history(organization):
    template = recurring_invoice(organization, start_date=date(2026, 1, 1), auto_send=True)
    run(date(2026, 1, 1))
    system = User.objects.system_actor()
    invoice = Invoice.objects.get(recurring_invoice=template.pk)
    assert [(row.history_user, row.history_change_reason) for row in invoice.history.all()][
        ::-1
    ] == [(system, "create_draft"), (system, "send")]
    assert {row.history_user for row in InvoiceLine.history.filter(invoice_id=invoice.pk)} == {
        system
    }
    latest = template.history.first()
    assert (latest.history_user, latest.history_change_reason) == (system, "run")


def test_a_template_whose_customer_was_archived_is_skipped_clearly_and_creates_nothing(
    organization,
):
    actor = User.objects.system_actor()
    customer = CustomerFactory(organization=organization)
    template = recurring_invoice(organization, customer=customer, start_date=date(2026, 1, 1))
    customer.archive(actor=actor)
    events_before = OutboxEvent.objects.count()

    with structlog.testing.capture_logs() as logs:
        out, err = run(date(2026, 2, 1))

    assert "skipped: recurring invoice" in err
    assert "customer_archived" in err
    assert "0 invoice(s) created; 1 template(s) skipped" in out
    [entry] = [entry for entry in logs if entry["event"] == "recurring.skipped"]
    assert (entry["recurring_invoice"], entry["code"]) == (template.pk, "customer_archived")
    assert entry["log_level"] == "warning"
    # Nothing half-created: no invoice, no line, no run row, no event, the template as it was.
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()
    assert not RecurringRun.objects.exists()
    assert OutboxEvent.objects.count() == events_before
    template.refresh_from_db()
    assert (template.next_run_on, template.last_invoice, template.version) == (
        date(2026, 1, 1),
        None,
        1,
    )

    # Restored: the periods it missed are caught up like any other.
    customer.restore(actor=actor)
    run(date(2026, 2, 1))
    assert issue_dates(template) == [date(2026, 1, 1), date(2026, 2, 1)]


def test_one_skipped_template_does_not_stop_the_others(organization):
    archived = CustomerFactory(organization=organization)
    skipped = recurring_invoice(organization, customer=archived, start_date=date(2026, 1, 1))
    fine = recurring_invoice(organization, start_date=date(2026, 1, 1))
    archived.archive(actor=User.objects.system_actor())
    report = run_recurring(actor=User.objects.system_actor(), as_of=date(2026, 1, 1))
    assert [template.pk for template, _ in report.skipped] == [skipped.pk]
    assert [template.pk for template, _ in report.created] == [fine.pk]


def test_the_ledger_stays_clean(organization):
    recurring_invoice(organization, start_date=date(2026, 1, 1), auto_send=True)
    run(date(2026, 6, 1))
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def test_paused_and_ended_templates_are_not_run(organization):
    actor = User.objects.system_actor()
    template = recurring_invoice(organization, start_date=date(2026, 1, 1))
    template.pause(actor=actor)
    run(date(2026, 3, 1))
    assert not Invoice.objects.exists()
    assert RecurringInvoice.objects.get(pk=template.pk).status == RecurringStatus.PAUSED


def test_run_recurring_refuses_a_malformed_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--as-of"):
        call_command("run_recurring", "--as-of", "2026-02-30")


def test_the_database_refuses_a_second_row_for_one_period(organization):
    template = recurring_invoice(organization)
    fields = {
        "organization_id": organization.pk,
        "template": template,
        "period_start": date(2026, 1, 1),
    }
    RecurringRun.objects.create(outcome="skipped", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecurringRun.objects.create(outcome="invoiced", **fields)


@pytest.mark.parametrize(
    "column, value",
    [("quantity", 0), ("unit_price", -1), ("discount_percent", 101), ("tax_rate", -1)],
)
def test_the_database_refuses_a_line_the_template_would_refuse(organization, column, value):
    # As an invoice's, a bill's or a credit note's line: the constraint backs `check_values`.
    line = recurring_invoice(organization).lines.get()
    setattr(line, column, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_a_customer_who_lost_their_email_skips_an_auto_emailed_period_whole(organization):
    customer = CustomerFactory(organization=organization, email="ap@globex.test")
    template = recurring_invoice(organization, customer=customer, auto_send=True, auto_email=True)
    customer.email = ""
    customer.save()
    _, err = run(date(2026, 1, 1))
    assert "customer_no_email" in err
    # Not created, not numbered: the series has no gap when the period is caught up later.
    assert not Invoice.objects.exists()
    customer.email = "new@globex.test"
    customer.save()
    run(date(2026, 1, 1))
    assert Invoice.objects.get(recurring_invoice=template.pk).number == "INV-00001"


def test_resumed_after_its_end_date_a_template_ends(organization, time_machine):
    actor = User.objects.system_actor()
    template = recurring_invoice(
        organization, interval="week", start_date=date(2026, 1, 5), end_date=date(2026, 1, 31)
    )
    run(date(2026, 1, 12))
    assert issue_dates(template) == [date(2026, 1, 5), date(2026, 1, 12)]
    time_machine.move_to("2026-01-14 12:00Z")
    template.pause(actor=actor)
    time_machine.move_to("2026-02-10 12:00Z")
    template.resume(actor=actor)
    assert (template.status, template.next_run_on) == (RecurringStatus.ENDED, None)
    skipped = RecurringRun.objects.filter(template=template, outcome="skipped")
    assert sorted(skipped.values_list("period_start", flat=True)) == [
        date(2026, 1, 19),
        date(2026, 1, 26),
    ]
    run(date(2026, 3, 1))
    assert len(issue_dates(template)) == 2
