"""Races on real PostgreSQL row locks: threads, each with its own connection and transaction.

`transaction=True` is essential: TestCase's wrapping transaction would hide a missing
atomic() or a lock taken too late.
"""

import random
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import Membership, Role
from core.errors import ConcurrentModification, DomainError
from fintrack.tests.races import run_at_once
from invoices.models import Invoice, InvoiceStatus
from invoices.reminders import send_due_reminders, send_manual_reminder
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment, PaymentKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_payments_never_exceed_the_total(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    # 20 x 7.00 = 140.00 > 100.00: exactly 14 fit, the rest must be refused.
    results = run_at_once(
        lambda i: Payment.pay(invoice, amount=Decimal("7.00"), method="card", actor=actor),
        range(20),
    )
    accepted = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(accepted) == 14
    assert len(refused) == 6
    assert {error.code for error in refused} == {"overpayment"}
    invoice = Invoice.objects.get(pk=invoice.pk)
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"]
    assert invoice.amount_paid == paid == Decimal("98.00")
    assert invoice.balance_due == invoice.total - invoice.amount_paid
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def test_concurrent_payments_that_exactly_fill_the_total_end_paid(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    results = run_at_once(
        lambda i: Payment.pay(invoice, amount=Decimal("10.00"), method="cash", actor=actor),
        range(20),
    )
    assert sum(isinstance(r, Payment) for r in results) == 10
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("100.00"))
    assert invoice.paid_at is not None
    # The late ones found the invoice paid and were refused for its status, never overpaid.
    codes = {r.code for r in results if isinstance(r, DomainError)}
    assert codes <= {"invalid_status", "overpayment"}


def test_two_concurrent_reversals_create_exactly_one(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    payment = Payment.pay(invoice, amount=Decimal("40.00"), method="card", actor=actor)
    results = run_at_once(
        lambda i: Payment.objects.get(pk=payment.pk).reverse(actor=actor), range(2)
    )
    reversals = [r for r in results if isinstance(r, Payment)]
    errors = [r for r in results if not isinstance(r, Payment)]
    assert len(reversals) == 1
    assert [error.code for error in errors] == ["already_reversed"]
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def test_concurrent_refunds_never_exceed_amount_paid(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    Payment.pay(invoice, amount=Decimal("50.00"), method="card", actor=actor)
    results = run_at_once(
        lambda i: Payment.refund(invoice, amount=Decimal("20.00"), actor=actor), range(10)
    )
    assert sum(isinstance(r, Payment) for r in results) == 2
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("10.00")


def assert_ledger_ok():
    """verify_ledger raises CommandError (non-zero exit) on any violated invariant."""
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def test_void_racing_a_payment_ends_void_without_payments_or_paid_and_not_void(
    user_in, organization
):
    actor = user_in(Role.FINANCE, organization)
    for _ in range(8):
        invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")

        def void_or_pay(index, invoice=invoice):
            if index == 0:
                return Invoice.objects.get(pk=invoice.pk).void(reason="Error", actor=actor)
            return Payment.pay(invoice, amount=Decimal("40.00"), method="card", actor=actor)

        results = run_at_once(void_or_pay, range(2))
        invoice = Invoice.objects.get(pk=invoice.pk)
        errors = [r for r in results if isinstance(r, Exception)]
        # Exactly one wins; the loser is a clean business error, never a lost write.
        assert len(errors) == 1
        assert isinstance(errors[0], DomainError), errors
        if invoice.status == InvoiceStatus.VOID:
            assert not invoice.payments.exists()
            assert invoice.amount_paid == 0
            assert errors[0].code == "invalid_status"
        else:
            assert invoice.status == InvoiceStatus.PARTIALLY_PAID
            assert invoice.amount_paid == Decimal("40.00")
            assert errors[0].code == "invoice_has_payments"
    assert_ledger_ok()


def test_refund_racing_a_reversal_never_pushes_amount_paid_below_zero(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    for _ in range(8):
        invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
        payment = Payment.pay(invoice, amount=Decimal("50.00"), method="card", actor=actor)

        def refund_or_reverse(index, invoice=invoice, payment=payment):
            if index == 0:
                return Payment.refund(invoice, amount=Decimal("30.00"), actor=actor)
            return Payment.objects.get(pk=payment.pk).reverse(actor=actor)

        results = run_at_once(refund_or_reverse, range(2))
        # Both together would be -80 + 50 = -30: exactly one of them may pass.
        assert sum(isinstance(r, Payment) for r in results) == 1
        codes = {r.code for r in results if isinstance(r, Exception)}
        assert codes <= {"refund_exceeds_paid", "reversal_exceeds_paid"}, results
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.amount_paid in {Decimal("20.00"), Decimal("0.00")}
    assert_ledger_ok()


def test_two_refunds_whose_sum_exceeds_amount_paid_only_one_passes(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    Payment.pay(invoice, amount=Decimal("60.00"), method="card", actor=actor)
    amounts = [Decimal("40.00"), Decimal("35.00")]
    results = run_at_once(
        lambda i: Payment.refund(invoice, amount=amounts[i], actor=actor), range(2)
    )
    refunds = [r for r in results if isinstance(r, Payment)]
    assert len(refunds) == 1
    assert [r.code for r in results if isinstance(r, Exception)] == ["refund_exceeds_paid"]
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.amount_paid == Decimal("60.00") + refunds[0].amount >= 0
    assert_ledger_ok()


def test_interleaved_payments_and_refunds_keep_amount_paid_within_zero_and_total(
    user_in, organization
):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    Payment.pay(invoice, amount=Decimal("30.00"), method="card", actor=actor)

    def pay_or_refund(index):
        if index % 2:
            return Payment.refund(invoice, amount=Decimal("25.00"), actor=actor)
        return Payment.pay(invoice, amount=Decimal("25.00"), method="cash", actor=actor)

    results = run_at_once(pay_or_refund, range(16))
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(error, DomainError) for error in errors), errors
    invoice = Invoice.objects.get(pk=invoice.pk)
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"]
    assert invoice.amount_paid == paid
    assert Decimal("0") <= invoice.amount_paid <= invoice.total
    assert invoice.balance_due == invoice.total - invoice.amount_paid
    assert_ledger_ok()


def test_a_storm_of_mixed_commands_never_deadlocks_and_keeps_the_ledger(user_in, organization):
    """Every command touching invoices, their numbers, payments, customers, reminders and
    memberships of one organization, at once. All take their locks in one order (invoice,
    then sequence / payments / customer; organization, then membership), so PostgreSQL
    never has to break a deadlock: the only failures allowed are business errors."""
    actor = user_in(Role.FINANCE, organization)
    admins = [user_in(Role.ADMIN, organization) for _ in range(2)]
    sent = [InvoiceFactory(organization=organization, sent=True, total="100.00") for _ in range(4)]
    for invoice in sent:
        Payment.pay(invoice, amount=Decimal("30.00"), method="card", actor=actor)
    drafts = [InvoiceFactory(organization=organization, total="50.00") for _ in range(8)]
    customer = sent[0].customer
    past_due = organization.today() - timedelta(days=40)
    for invoice in sent[1:]:
        Invoice.objects.filter(pk=invoice.pk).update(
            issue_date=past_due - timedelta(days=30), due_date=past_due
        )

    def fresh(invoice):
        return Invoice.objects.get(pk=invoice.pk)

    commands = [
        lambda rng: fresh(rng.choice(drafts)).send(actor=actor),
        lambda rng: fresh(rng.choice(drafts)).void(reason="Storm", actor=actor),
        lambda rng: fresh(rng.choice(drafts)).update_draft(actor=actor, notes="storm"),
        lambda rng: Payment.pay(
            rng.choice(sent + drafts), amount=Decimal("5.00"), method="cash", actor=actor
        ),
        lambda rng: Payment.refund(rng.choice(sent), amount=Decimal("5.00"), actor=actor),
        lambda rng: rng.choice(
            list(Payment.objects.filter(kind=PaymentKind.PAYMENT, invoice__in=sent))
        ).reverse(actor=actor),
        lambda rng: send_manual_reminder(rng.choice(sent), actor=actor),
        lambda rng: send_due_reminders(),
        lambda rng: Invoice.create_draft(
            organization=organization,
            customer=customer,
            actor=actor,
            lines=[{"description": "X", "quantity": Decimal("1"), "unit_price": Decimal("1")}],
        ),
        lambda rng: type(customer).objects.get(pk=customer.pk).archive(actor=actor),
        lambda rng: type(customer).objects.get(pk=customer.pk).restore(actor=actor),
        lambda rng: Membership.objects.get(user=admins[1], organization=organization).change_role(
            role=rng.choice([Role.ADMIN, Role.FINANCE]), actor=admins[0]
        ),
    ]

    def worker(index):
        rng = random.Random(index)
        unexpected = []
        for _ in range(6):
            try:
                rng.choice(commands)(rng)
            except DomainError:
                pass  # refused by a business rule: fine, nothing was written
            except Exception as error:  # a deadlock, DoesNotExist, IntegrityError: a 500
                unexpected.append(error)
        return unexpected

    results = run_at_once(worker, range(16))
    assert [r for r in results if r] == []
    assert_ledger_ok()


def test_paying_or_refunding_a_draft_deleted_meanwhile_is_a_409_not_a_500(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    draft = InvoiceFactory(organization=organization)
    read_before_the_delete = Invoice.objects.get(pk=draft.pk)
    draft.delete_draft(actor=actor)
    with pytest.raises(ConcurrentModification):
        Payment.pay(read_before_the_delete, amount=Decimal("1.00"), method="card", actor=actor)
    with pytest.raises(ConcurrentModification):
        Payment.refund(read_before_the_delete, amount=Decimal("1.00"), actor=actor)
