"""Payment domain rules (spec 6) through the model commands the API and admin both call."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from core.errors import DomainError, InvalidStatus
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.exceptions import (
    AlreadyReversed,
    InvalidAmount,
    NotReversible,
    Overpayment,
    PaymentImmutable,
    ReceivedInFuture,
    RefundExceedsPaid,
    ReversalExceedsPaid,
    TooPrecise,
)
from payments.models import Payment, PaymentKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def pay(invoice, amount, actor, **extra):
    extra.setdefault("method", "bank_transfer")
    return Payment.pay(invoice, amount=Decimal(amount), actor=actor, **extra)


def test_partial_then_full_payment_moves_status_and_sets_paid_at(invoice, actor):
    pay(invoice, "30.00", actor)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        InvoiceStatus.PARTIALLY_PAID,
        Decimal("30"),
        Decimal("70"),
    )
    assert invoice.paid_at is None
    pay(invoice, "70.00", actor)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.balance_due == 0
    assert invoice.paid_at is not None


@pytest.mark.parametrize(
    ("total", "amounts"),
    [
        # Amounts whose difference is not exact in binary floating point (SQLite stores
        # decimals that way): the balance check must still accept them.
        ("44764.56", ["22382.29"]),
        ("1000.00", ["0.10", "0.20", "333.33", "0.07"]),
        ("9876543.21", ["1234567.89", "0.01"]),
    ],
)
def test_balances_that_are_inexact_in_binary_are_accepted(organization, actor, total, amounts):
    invoice = InvoiceFactory(organization=organization, sent=True, total=total)
    for amount in amounts:
        pay(invoice, amount, actor)
    Payment.refund(invoice, amount=Decimal(amounts[0]), actor=actor)
    invoice.refresh_from_db()
    paid = sum(map(Decimal, amounts[1:]), Decimal("0"))
    assert (invoice.amount_paid, invoice.balance_due) == (paid, Decimal(total) - paid)


@pytest.mark.parametrize(
    ("currency", "total", "amounts"),
    [
        # 0.10 + 0.20 - 0.30 is 5.55e-17 in binary floating point, which is how SQLite sums
        # decimals: the invoice must still be exactly 0 paid, and so `sent`.
        ("USD", "100.00", ["0.10", "0.20"]),
        ("KWD", "100.000", ["0.001", "0.007", "0.033"]),
        ("USD", "1000.00", ["333.33", "0.07", "0.10"]),
    ],
)
@pytest.mark.parametrize("cancel", ["refund", "reverse"])
def test_amounts_that_cancel_out_leave_exactly_zero_paid(
    organization, actor, currency, total, amounts, cancel
):
    invoice = InvoiceFactory(organization=organization, sent=True, total=total, currency=currency)
    payments = [pay(invoice, amount, actor) for amount in amounts]
    if cancel == "refund":
        Payment.refund(invoice, amount=sum(map(Decimal, amounts)), actor=actor)
    else:
        for payment in payments:
            payment.reverse(actor=actor)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due) == (Decimal(0), Decimal(total))
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.paid_at is None


def test_refund_after_full_payment_clears_paid_at(invoice, actor):
    pay(invoice, "100.00", actor)
    Payment.refund(invoice, amount=Decimal("100.00"), actor=actor)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.amount_paid == 0
    assert invoice.paid_at is None


def test_payment_is_attributed_and_in_invoice_currency(invoice, actor):
    payment = pay(invoice, "10.00", actor)
    assert payment.created_by == actor
    assert payment.currency == invoice.currency
    assert payment.organization_id == invoice.organization_id
    assert payment.history.get().history_user == actor
    assert invoice.history.latest().history_user == actor


def test_received_on_defaults_to_organization_today(invoice, actor, organization):
    assert pay(invoice, "1.00", actor).received_on == organization.today()


def test_received_on_in_future_is_refused(invoice, actor, organization):
    with pytest.raises(ReceivedInFuture):
        pay(invoice, "1.00", actor, received_on=organization.today() + timedelta(days=1))


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_non_positive_amount_is_refused(invoice, actor, amount):
    with pytest.raises(InvalidAmount):
        pay(invoice, amount, actor)


def test_amount_with_too_many_digits_is_refused_not_rounded(invoice, actor):
    with pytest.raises(TooPrecise):
        pay(invoice, "10.001", actor)
    assert not invoice.payments.exists()


def test_unknown_method_is_refused(invoice, actor):
    with pytest.raises(DomainError) as error:
        pay(invoice, "1.00", actor, method="bitcoin")
    assert error.value.code == "invalid_choice"


def test_overpayment_is_refused_against_the_locked_balance(invoice, actor):
    pay(invoice, "60.00", actor)
    # `invoice` is stale (balance 100 in memory); the command must read the locked row.
    with pytest.raises(Overpayment):
        pay(invoice, "40.01", actor)


@pytest.mark.parametrize("void", [False, True])
def test_pay_on_draft_or_void_is_invalid_status(organization, actor, void):
    invoice = InvoiceFactory(organization=organization)
    if void:
        invoice.void(reason="mistake", actor=actor)
    with pytest.raises(InvalidStatus):
        pay(invoice, "1.00", actor)


def test_pay_on_paid_invoice_is_invalid_status(invoice, actor):
    pay(invoice, "100.00", actor)
    with pytest.raises(InvalidStatus):
        pay(invoice, "1.00", actor)


def test_refund_more_than_paid_is_refused(invoice, actor):
    pay(invoice, "50.00", actor)
    with pytest.raises(RefundExceedsPaid):
        Payment.refund(invoice, amount=Decimal("50.01"), actor=actor)


def test_refund_is_negative_and_dated_today(actor, organization):
    invoice = InvoiceFactory(
        organization=organization, sent=True, issue_date=organization.today() - timedelta(days=3)
    )
    pay(invoice, "50.00", actor, received_on=organization.today() - timedelta(days=3))
    refund = Payment.refund(invoice, amount=Decimal("20.00"), actor=actor, reason="goodwill")
    assert (refund.kind, refund.amount, refund.received_on) == (
        PaymentKind.REFUND,
        Decimal("-20.00"),
        organization.today(),
    )


def test_reverse_cancels_the_payment_once(invoice, actor):
    payment = pay(invoice, "40.00", actor)
    reversal = payment.reverse(actor=actor, reason="bounced")
    assert (reversal.kind, reversal.amount, reversal.reverses) == (
        PaymentKind.REVERSAL,
        Decimal("-40.00"),
        payment,
    )
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
    with pytest.raises(AlreadyReversed):
        payment.reverse(actor=actor)


def test_second_reversal_past_the_check_is_stopped_by_the_unique_reverses_constraint(
    invoice, actor
):
    payment = pay(invoice, "40.00", actor)
    pay(invoice, "30.00", actor)
    payment.reverse(actor=actor)
    # A racing second reversal that passed the existence check: the DB constraint on
    # `reverses` refuses it and the error still reads already_reversed, not a 500.
    duplicate = Payment(
        kind=PaymentKind.REVERSAL,
        amount=Decimal("-40.00"),
        method=payment.method,
        received_on=invoice.issue_date,
        reverses=payment,
    )
    with transaction.atomic(), pytest.raises(AlreadyReversed):
        duplicate._record(invoice.lock(), actor=actor, reason="reverse")
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("30.00")
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL).count() == 1


def test_reversing_a_refund_or_reversal_is_not_reversible(invoice, actor):
    payment = pay(invoice, "40.00", actor)
    refund = Payment.refund(invoice, amount=Decimal("10.00"), actor=actor)
    with pytest.raises(NotReversible):
        refund.reverse(actor=actor)
    reversal = pay(invoice, "5.00", actor).reverse(actor=actor)
    with pytest.raises(NotReversible):
        reversal.reverse(actor=actor)
    assert payment.pk


def test_reversal_that_would_make_amount_paid_negative_is_refused(invoice, actor):
    payment = pay(invoice, "100.00", actor)
    Payment.refund(invoice, amount=Decimal("60.00"), actor=actor)
    with pytest.raises(ReversalExceedsPaid):
        payment.reverse(actor=actor)


def test_unique_reverses_constraint_guards_double_reversal_in_the_database(invoice, actor):
    payment = pay(invoice, "40.00", actor)
    payment.reverse(actor=actor)
    duplicate = Payment(
        organization=invoice.organization,
        invoice=invoice,
        kind=PaymentKind.REVERSAL,
        amount=Decimal("-40"),
        currency="USD",
        received_on=payment.received_on,
        reverses=payment,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_payment_rows_cannot_be_updated_or_deleted(invoice, actor):
    payment = pay(invoice, "10.00", actor)
    payment.amount = Decimal("99")
    with pytest.raises(PaymentImmutable):
        payment.save()
    with pytest.raises(PaymentImmutable):
        payment.delete()
    with pytest.raises(PaymentImmutable):
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("1"))
    with pytest.raises(PaymentImmutable):
        Payment.objects.filter(pk=payment.pk).delete()
    payment.refresh_from_db()
    assert payment.amount == Decimal("10.00")


def test_jpy_amounts_have_no_decimals(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True, total="1000", currency="JPY")
    with pytest.raises(TooPrecise):
        pay(invoice, "1.5", actor)
    assert pay(invoice, "1000", actor).amount == Decimal("1000")


def test_system_actor_can_record_payments(invoice):
    payment = pay(invoice, "10.00", User.objects.system_actor())
    assert payment.created_by.email == "system@fintrack.invalid"
