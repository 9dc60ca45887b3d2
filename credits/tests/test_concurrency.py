"""Credit notes and write-offs racing on real PostgreSQL row locks (threads, each with its
own connection). After each race the invariants hold and verify_ledger is clean."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role
from core.errors import DomainError
from credits.models import CreditNote, WriteOff
from fintrack.tests.races import run_at_once
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def assert_ledger_ok():
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def issue(invoice, amount, actor, **options):
    return CreditNote.issue(
        invoice, lines=[line("Correction", unit_price=amount)], reason="x", actor=actor, **options
    )


def test_a_credit_note_racing_a_payment_never_oversettles(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    for _ in range(6):
        invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")

        def credit_or_pay(index, invoice=invoice):
            if index == 0:
                return issue(invoice, "60.00", actor)
            return Payment.pay(invoice, amount=D("60.00"), method="card", actor=actor)

        results = run_at_once(credit_or_pay, range(2))
        invoice = Invoice.objects.get(pk=invoice.pk)
        errors = [r for r in results if isinstance(r, Exception)]
        # Both fit only as 60 + 40: a payment second is refused; a note second puts
        # its rest on the customer's credit (it did not ask for a refund).
        assert len(errors) <= 1 and all(isinstance(e, DomainError) for e in errors), results
        if errors:
            assert errors[0].code == "overpayment"
            assert invoice.amount_paid + invoice.credited_total == D("60.00")
            assert invoice.balance_due == D("40.00")
        else:
            assert invoice.amount_paid + invoice.credited_total == D("100.00")
            assert invoice.balance_due == 0
    assert_ledger_ok()


def test_two_credit_notes_never_exceed_a_rates_cap(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    for _ in range(6):
        invoice = InvoiceFactory(
            organization=organization,
            sent=True,
            lines=[line("Books", unit_price="100.00", tax_rate="5"), line("Fee", unit_price="50")],
        )
        results = run_at_once(
            lambda i, invoice=invoice: CreditNote.issue(
                invoice,
                lines=[line("Books", unit_price="60.00", tax_rate="5")],
                reason="x",
                actor=actor,
            ),
            range(2),
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert [error.code for error in errors] == ["credit_exceeds_invoice"], results
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.credited_total == D("63.00")
    assert_ledger_ok()


def test_twenty_concurrent_credit_notes_get_twenty_consecutive_numbers(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoices = [
        InvoiceFactory(organization=organization, sent=True, total="10.00") for _ in range(20)
    ]
    results = run_at_once(lambda invoice: issue(invoice, "1.00", actor), invoices)
    assert all(isinstance(r, CreditNote) for r in results), results
    numbers = sorted(CreditNote.objects.values_list("number", flat=True))
    assert numbers == [f"CN-{n:05d}" for n in range(1, 21)]
    assert_ledger_ok()


def test_a_write_off_racing_a_payment(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    for _ in range(6):
        invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")

        def write_off_or_pay(index, invoice=invoice):
            if index == 0:
                return WriteOff.write_off(Invoice.objects.get(pk=invoice.pk), reason="x",
                                          actor=actor)  # fmt: skip
            return Payment.pay(invoice, amount=D("30.00"), method="card", actor=actor)

        results = run_at_once(write_off_or_pay, range(2))
        # Both succeed in either order: a payment after the write-off is a recovery.
        assert not [r for r in results if isinstance(r, Exception)], results
        invoice = Invoice.objects.get(pk=invoice.pk)
        row = WriteOff.objects.get(invoice=invoice)
        payment = invoice.payments.get()
        assert invoice.status == "uncollectible"
        assert (invoice.amount_paid, invoice.written_off_total) == (D("30.00"), D("70.00"))
        # Written off first: the whole 100 then 30 recovered; paid first: 70 written off.
        assert row.amount == (D("100.00") if payment.recovery else D("70.00"))
    assert_ledger_ok()
