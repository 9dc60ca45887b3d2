"""Credit notes and write-offs (spec 14) at the model level: the settlement order, the
status rule, per-rate caps, numbering, recoveries, and immutability."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tests.factories import OrganizationFactory
from core.errors import InvalidStatus
from credits.exceptions import (
    CreditExceedsInvoice,
    CreditNoteEmpty,
    DocumentImmutable,
)
from credits.models import CreditNote, CreditNoteLine, WriteOff
from credits.tests.factories import credit, figures, write_off
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, line
from payments.credit import credit_balances
from payments.exceptions import Overpayment
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def ledger_is_clean():
    call_command("verify_ledger", stdout=StringIO())  # raises CommandError on a violation
    return True


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


# --- the worked example of spec 14 ----------------------------------------------------


def test_worked_example_without_refund_puts_the_rest_on_customer_credit(invoice):
    PaymentFactory(invoice=invoice, amount="80.00")
    note = credit(invoice, "50.00")
    assert (note.credited_to_invoice, note.refunded, note.credited_to_balance) == (
        D("20.00"),
        D("0"),
        D("30.00"),
    )
    assert figures(invoice) == ("paid", D("80.00"), D("20.00"), D("0"), D("0.00"))
    entry = note.credit_entry
    assert (entry.kind, entry.amount, entry.invoice, entry.customer_id) == (
        "credit_note",
        D("30.00"),
        invoice,
        invoice.customer_id,
    )
    assert credit_balances(invoice.customer) == {"USD": D("30.00")}
    assert ledger_is_clean()


def test_worked_example_with_refund(invoice):
    PaymentFactory(invoice=invoice, amount="80.00")
    note = credit(invoice, "50.00", refund=True)
    assert (note.credited_to_invoice, note.refunded, note.credited_to_balance) == (
        D("20.00"),
        D("30.00"),
        D("0"),
    )
    assert figures(invoice) == ("paid", D("50.00"), D("50.00"), D("0"), D("0.00"))
    assert invoice.paid_at is not None
    refund = note.refund_payment
    assert (refund.kind, refund.amount, refund.invoice_id) == ("refund", D("-30.00"), invoice.pk)
    assert ledger_is_clean()


def test_credit_within_the_balance_settles_it_without_cash(invoice):
    note = credit(invoice, "30.00")
    assert (note.credited_to_invoice, note.refunded) == (D("30.00"), D("0"))
    assert figures(invoice) == ("partially_paid", D("0"), D("30.00"), D("0"), D("70.00"))
    assert invoice.paid_at is None


def test_a_fully_credited_invoice_is_paid_with_paid_at(invoice):
    credit(invoice, "100.00")
    assert figures(invoice) == ("paid", D("0"), D("100.00"), D("0"), D("0.00"))
    assert invoice.paid_at is not None


def test_refund_flag_is_unused_when_the_balance_takes_everything(invoice):
    note = credit(invoice, "40.00", refund=True)
    assert (note.refunded, note.refund_payment) == (D("0"), None)
    assert not invoice.payments.exists()


def test_credit_note_lines_and_totals_follow_5_2(organization, finance_user):
    widgets = line(
        "Widgets", quantity="3", unit_price="19.99", discount_percent="10", tax_rate="15"
    )
    invoice = InvoiceFactory(organization=organization, sent=True, lines=[widgets])
    note = CreditNote.issue(invoice, lines=[widgets], reason="Returned", actor=finance_user)
    assert (note.subtotal, note.discount_total, note.tax_total, note.total) == (
        D("59.97"),
        D("6.00"),
        D("8.10"),
        D("62.07"),
    )
    note_line = note.lines.get()
    assert (note_line.amount, note_line.discount_amount, note_line.tax_amount) == (
        D("59.97"),
        D("6.00"),
        D("8.10"),
    )
    assert note.minor_unit == invoice.minor_unit


# --- caps per tax rate ------------------------------------------------------------------


@pytest.fixture
def two_rates(organization):
    return InvoiceFactory(
        organization=organization,
        sent=True,
        lines=[line("Books", unit_price="100.00", tax_rate="5"), line("Wine", unit_price="50.00",
               tax_rate="20")],
    )  # fmt: skip


def test_a_rate_the_invoice_does_not_have_cannot_be_credited(two_rates):
    with pytest.raises(CreditExceedsInvoice):
        credit(two_rates, "1.00", tax_rate="10")
    assert not CreditNote.objects.exists()


def test_credit_notes_together_stay_within_each_rate(two_rates):
    credit(two_rates, "30.00", tax_rate="20")
    # 30 + 30 net at 20 % exceeds the 50.00 charged at that rate, though the invoice's
    # balance (172.50 - 36.00) could take it.
    with pytest.raises(CreditExceedsInvoice) as refused:
        credit(two_rates, "30.00", tax_rate="20")
    assert "20%" in refused.value.message
    assert two_rates.credit_notes.count() == 1
    credit(two_rates, "20.00", tax_rate="20.0")  # exactly the rest; 20 and 20.0 are one rate
    assert two_rates.credited_total == D("36.00") + D("24.00")


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "void"])
def test_drafts_and_void_invoices_cannot_be_credited(organization, state):
    invoice = InvoiceFactory(organization=organization)
    if state == "void":
        from accounts.models import User

        invoice.void(reason="x", actor=User.objects.system_actor())
    with pytest.raises(InvalidStatus):
        credit(invoice, "1.00")
    assert not CreditNote.objects.exists()


def test_a_zero_credit_note_is_refused(invoice):
    with pytest.raises(CreditNoteEmpty):
        credit(invoice, "0.00")
    with pytest.raises(CreditNoteEmpty):
        CreditNote.issue(invoice, lines=[], reason="x", actor=None)


# --- numbering ---------------------------------------------------------------------------


def test_numbers_are_a_gapless_series_with_the_organization_prefix(organization):
    organization.credit_note_prefix = "CR"
    organization.save()
    first = InvoiceFactory(organization=organization, sent=True, total="100.00")
    second = InvoiceFactory(organization=organization, sent=True, total="100.00")
    numbers = [credit(first, "1.00").number, credit(second, "1.00").number]
    with pytest.raises(CreditExceedsInvoice):  # a refusal consumes no number
        credit(first, "500.00")
    numbers.append(credit(first, "1.00").number)
    assert numbers == ["CR-00001", "CR-00002", "CR-00003"]
    other = InvoiceFactory(organization=OrganizationFactory(), sent=True)
    assert credit(other, "1.00").number == "CN-00001"


# --- write-offs and recoveries -----------------------------------------------------------


def test_write_off_takes_the_whole_balance(invoice):
    PaymentFactory(invoice=invoice, amount="30.00")
    row = write_off(invoice)
    assert (row.amount, row.written_off_on) == (D("70.00"), invoice.organization.today())
    assert figures(invoice) == ("uncollectible", D("30.00"), D("0"), D("70.00"), D("0.00"))
    assert invoice.written_off_on == row.written_off_on
    assert invoice.paid_at is None
    assert ledger_is_clean()


@pytest.mark.parametrize("state", ["draft", "paid", "uncollectible"])
def test_only_receivable_invoices_can_be_written_off(organization, state):
    invoice = InvoiceFactory(organization=organization, sent=state != "draft", total="10.00")
    if state == "paid":
        PaymentFactory(invoice=invoice)
    if state == "uncollectible":
        write_off(invoice)
    before = figures(invoice)
    with pytest.raises(InvalidStatus):
        write_off(invoice)
    assert figures(invoice) == before
    assert WriteOff.objects.count() == (1 if state == "uncollectible" else 0)


def test_recoveries_move_money_from_written_off_to_paid(invoice):
    write_off(invoice)
    with pytest.raises(Overpayment):
        PaymentFactory(invoice=invoice, amount="100.01")
    recovery = PaymentFactory(invoice=invoice, amount="60.00")
    assert recovery.recovery is True
    assert figures(invoice) == ("uncollectible", D("60.00"), D("0"), D("40.00"), D("0.00"))
    PaymentFactory(invoice=invoice, amount="40.00")
    assert figures(invoice) == ("paid", D("100.00"), D("0"), D("0.00"), D("0.00"))
    assert invoice.paid_at is not None
    assert ledger_is_clean()


def test_reversing_or_refunding_a_recovery_moves_it_back_to_written_off(invoice, finance_user):
    write_off(invoice)
    PaymentFactory(invoice=invoice, amount="100.00")
    assert figures(invoice)[0] == "paid"
    Payment.refund(invoice, amount=D("25.00"), actor=finance_user)
    assert figures(invoice) == ("uncollectible", D("75.00"), D("0"), D("25.00"), D("0.00"))
    second = PaymentFactory(invoice=invoice, amount="25.00")
    second.reverse(actor=finance_user)
    assert figures(invoice) == ("uncollectible", D("75.00"), D("0"), D("25.00"), D("0.00"))
    assert Payment.objects.filter(invoice=invoice, recovery=True).count() == 4
    assert ledger_is_clean()


def test_payments_before_the_write_off_are_no_recovery(invoice):
    payment = PaymentFactory(invoice=invoice, amount="10.00")
    write_off(invoice)
    assert payment.recovery is False


def test_credit_on_an_uncollectible_invoice_reduces_the_write_off(invoice):
    PaymentFactory(invoice=invoice, amount="30.00")
    write_off(invoice)
    note = credit(invoice, "50.00")
    assert note.credited_to_invoice == D("50.00")
    assert figures(invoice) == ("uncollectible", D("30.00"), D("50.00"), D("20.00"), D("0.00"))
    # Beyond what was written off, the rest is the paid cash: refunded (or put on credit).
    note = credit(invoice, "30.00", refund=True)
    assert (note.credited_to_invoice, note.refunded) == (D("20.00"), D("10.00"))
    assert figures(invoice) == ("paid", D("20.00"), D("80.00"), D("0.00"), D("0.00"))
    assert ledger_is_clean()


# --- immutability --------------------------------------------------------------------------


def test_credit_notes_lines_and_write_offs_are_immutable(invoice):
    note = credit(invoice, "10.00")
    row = write_off(invoice)
    for obj in (note, note.lines.get(), row):
        with pytest.raises(DocumentImmutable):
            obj.save()
        with pytest.raises(DocumentImmutable):
            obj.delete()
    for manager, change in (
        (CreditNote.objects, {"reason": "x"}),
        (CreditNoteLine.objects, {"description": "x"}),
        (WriteOff.objects, {"reason": "x"}),
    ):
        with pytest.raises(DocumentImmutable):
            manager.all().update(**change)
        with pytest.raises(DocumentImmutable):
            manager.all().delete()


def test_history_names_the_command_and_the_actor(invoice, finance_user):
    note = credit(invoice, "10.00", actor=finance_user)
    assert note.history.get().history_user == finance_user
    assert note.history.get().history_change_reason == "credit_note"
    latest = Invoice.history.filter(id=invoice.pk).latest("history_date")
    assert (latest.history_change_reason, latest.history_user) == ("credit_note", finance_user)


def test_the_credit_note_is_dated_in_the_organizations_time_zone(invoice):
    note = credit(invoice, "1.00")
    assert note.issued_on == invoice.organization.today()
    assert note.issued_on - invoice.issue_date < timedelta(days=1)


# --- out of outstanding, overdue and reminders ----------------------------------------------


def test_uncollectible_invoices_get_no_reminders_and_are_not_overdue(
    organization, mailoutbox, django_capture_on_commit_callbacks
):
    from invoices.tests.document_factories import sent_invoice

    due = organization.today() - timedelta(days=20)
    lost = sent_invoice(organization, issue_date=due - timedelta(days=30), due_date=due)
    reminded = sent_invoice(organization, issue_date=due - timedelta(days=30), due_date=due)
    write_off(lost)
    assert not lost.overdue_on(organization.today())
    overdue = Invoice.objects.with_is_overdue(organization.today()).filter(is_overdue=True)
    assert list(overdue) == [reminded]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=StringIO())
    assert [message.subject for message in mailoutbox] == [
        message.subject for message in mailoutbox if reminded.number in message.subject
    ]
    assert len(mailoutbox) == 1
    assert not lost.reminders.exists()
