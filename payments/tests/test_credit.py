"""Customer credit (spec 14) through the domain functions: the ledger, apply, refund,
overpayment to credit, and a `credit` row's reversal."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.money import UnsupportedCurrency
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.credit import (
    CreditEntry,
    CreditKind,
    CustomerCredit,
    credit_balances,
    credit_customer,
    refund_credit,
)
from payments.exceptions import (
    InsufficientCredit,
    InvalidAmount,
    InvalidExcess,
    InvalidMethod,
    Overpayment,
    PaymentImmutable,
    RefundExceedsPaid,
    ReversalExceedsPaid,
    TooPrecise,
)
from payments.models import Payment, PaymentKind, cash_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization, customer):
    return InvoiceFactory(organization=organization, customer=customer, sent=True, total="100.00")


def credit(customer, amount, actor, currency="USD", kind=CreditKind.RECEIPT, **extra):
    return credit_customer(
        customer, currency=currency, amount=amount, kind=kind, actor=actor, **extra
    )


def balance(customer, currency="USD"):
    return credit_balances(customer).get(currency, Decimal("0"))


def test_credit_customer_appends_an_entry_and_moves_the_balance(customer, actor):
    entry = credit(customer, "30.00", actor, method="bank_transfer", reference="T-1")
    credit(customer, "12.50", actor)
    assert (entry.kind, entry.amount, entry.currency, entry.created_by) == (
        "receipt",
        Decimal("30.00"),
        "USD",
        actor,
    )
    assert entry.booked_on == customer.organization.today()
    assert balance(customer) == Decimal("42.50")
    assert CreditEntry.objects.filter(customer=customer).count() == 2


def test_balances_are_per_currency(customer, actor):
    credit(customer, "10.00", actor)
    credit(customer, "1000", actor, currency="JPY")
    assert credit_balances(customer) == {"USD": Decimal("10.00"), "JPY": Decimal("1000")}


@pytest.mark.parametrize(
    ("amount", "error"),
    [("0", InvalidAmount), ("-1", InvalidAmount), ("1e3", InvalidAmount), ("1.005", TooPrecise)],
)
def test_credit_refuses_bad_amounts_and_writes_nothing(customer, actor, amount, error):
    with pytest.raises(error):
        credit(customer, amount, actor)
    assert not CreditEntry.objects.exists()


def test_credit_refuses_a_currency_no_document_may_be_in(customer, actor):
    with pytest.raises(UnsupportedCurrency):
        credit(customer, "1.00", actor, currency="XAU")
    assert not CustomerCredit.objects.exists()


def test_credit_customer_takes_only_incoming_kinds(customer, actor):
    with pytest.raises(ValueError):
        credit(customer, "1.00", actor, kind=CreditKind.APPLIED)


def test_entries_are_immutable(customer, actor):
    entry = credit(customer, "1.00", actor)
    entry.amount = Decimal("2")
    with pytest.raises(PaymentImmutable):
        entry.save()
    with pytest.raises(PaymentImmutable):
        CreditEntry.objects.all().delete()
    with pytest.raises(PaymentImmutable):
        entry.delete()


def test_the_database_refuses_a_negative_balance(customer, actor):
    credit(customer, "5.00", actor)
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerCredit.objects.filter(customer=customer).update(amount=Decimal("-0.01"))


def test_refund_credit_pays_credit_back(customer, actor):
    credit(customer, "50.00", actor)
    entry = refund_credit(
        customer, currency="USD", amount="20.00", method="bank_transfer", actor=actor,
        reference="R-1",
    )  # fmt: skip
    assert (entry.kind, entry.amount, entry.method, entry.reference) == (
        "refunded",
        Decimal("-20.00"),
        "bank_transfer",
        "R-1",
    )
    assert balance(customer) == Decimal("30.00")


def test_refund_credit_beyond_the_credit_is_refused(customer, actor):
    credit(customer, "10.00", actor)
    with pytest.raises(InsufficientCredit):
        refund_credit(customer, currency="USD", amount="10.01", method="cash", actor=actor)
    with pytest.raises(InsufficientCredit):
        refund_credit(customer, currency="EUR", amount="1.00", method="cash", actor=actor)
    with pytest.raises(InvalidMethod):
        refund_credit(customer, currency="USD", amount="1.00", method="gold", actor=actor)
    assert balance(customer) == Decimal("10.00")
    assert CreditEntry.objects.count() == 1


def test_apply_credit_is_a_credit_row_and_an_applied_entry(invoice, customer, actor):
    credit(customer, "150.00", actor)
    row = Payment.apply_credit(invoice, amount="60.00", actor=actor)
    invoice.refresh_from_db()
    assert (row.kind, row.amount, row.method) == (PaymentKind.CREDIT, Decimal("60.00"), "")
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (
        Decimal("60.00"),
        Decimal("40.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    applied = CreditEntry.objects.get(kind=CreditKind.APPLIED)
    assert (applied.amount, applied.invoice, applied.payment) == (Decimal("-60.00"), invoice, row)
    assert balance(customer) == Decimal("90.00")
    Payment.apply_credit(invoice, amount="40.00", actor=actor)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_apply_credit_refusals_change_nothing(invoice, customer, actor):
    credit(customer, "150.00", actor)
    with pytest.raises(Overpayment):
        Payment.apply_credit(invoice, amount="100.01", actor=actor)
    credit_customer(customer, currency="EUR", amount="500", kind="receipt", actor=actor)
    refund_credit(customer, currency="USD", amount="100.00", method="cash", actor=actor)
    with pytest.raises(InsufficientCredit):
        Payment.apply_credit(invoice, amount="50.01", actor=actor)
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
    assert not Payment.objects.exists()
    assert balance(customer) == Decimal("50.00")


def test_reversing_a_credit_row_returns_it_to_credit(invoice, customer, actor):
    credit(customer, "60.00", actor)
    row = Payment.apply_credit(invoice, amount="60.00", actor=actor)
    reversal = row.reverse(actor=actor, reason="wrong invoice")
    invoice.refresh_from_db()
    assert (reversal.kind, reversal.amount, reversal.reverses) == (
        "reversal",
        Decimal("-60.00"),
        row,
    )
    assert invoice.amount_paid == 0
    entry = CreditEntry.objects.get(kind=CreditKind.REVERSED)
    assert (entry.amount, entry.payment, entry.receipt) == (Decimal("60.00"), reversal, None)
    assert balance(customer) == Decimal("60.00")


def test_a_refund_is_bounded_by_cash_paid_not_credit_applied(invoice, customer, actor):
    credit(customer, "60.00", actor)
    Payment.apply_credit(invoice, amount="60.00", actor=actor)
    Payment.pay(invoice, amount="30.00", method="cash", actor=actor)
    invoice.refresh_from_db()
    assert cash_paid(invoice) == Decimal("30.00")
    with pytest.raises(RefundExceedsPaid):
        Payment.refund(invoice, amount="30.01", actor=actor)
    Payment.refund(invoice, amount="30.00", actor=actor)


def test_overpayment_to_credit(invoice, customer, actor):
    payment = Payment.pay(
        invoice, amount="130.00", method="bank_transfer", reference="X-9", excess="credit",
        actor=actor,
    )  # fmt: skip
    invoice.refresh_from_db()
    assert (payment.amount, payment.credited_to_balance) == (Decimal("100.00"), Decimal("30.00"))
    assert invoice.status == InvoiceStatus.PAID
    entry = CreditEntry.objects.get()
    assert (entry.kind, entry.amount, entry.invoice, entry.payment, entry.reference) == (
        "overpayment",
        Decimal("30.00"),
        invoice,
        payment,
        "X-9",
    )
    assert entry.booked_on == payment.received_on


def test_overpayment_without_excess_credit_stays_refused(invoice, actor):
    with pytest.raises(Overpayment):
        Payment.pay(invoice, amount="100.01", method="cash", actor=actor)
    with pytest.raises(InvalidExcess):
        Payment.pay(invoice, amount="100.01", method="cash", excess="refund", actor=actor)
    assert not CreditEntry.objects.exists()
    assert not Payment.objects.exists()


def test_a_payment_within_the_balance_credits_nothing(invoice, actor):
    payment = Payment.pay(invoice, amount="100.00", method="cash", excess="credit", actor=actor)
    assert payment.credited_to_balance == 0
    assert not CreditEntry.objects.exists()


def test_a_payments_reversal_is_bounded_by_cash_paid(invoice, customer, actor):
    payment = Payment.pay(invoice, amount="50.00", method="cash", actor=actor)
    credit(customer, "50.00", actor)
    Payment.apply_credit(invoice, amount="50.00", actor=actor)
    Payment.refund(invoice, amount="50.00", actor=actor)
    # amount_paid is 50.00, all of it credit: no cash is left to take back.
    with pytest.raises(ReversalExceedsPaid):
        payment.reverse(actor=actor)
