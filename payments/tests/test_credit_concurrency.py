"""Races on customer credit and receipts (spec 14), on real PostgreSQL row locks. After each,
the credit is never negative and verify_ledger is clean."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role
from core.errors import DomainError
from customers.tests.factories import CustomerFactory
from fintrack.tests.races import run_at_once
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory
from payments.credit import CreditEntry, CustomerCredit, credit_balances, refund_credit
from payments.models import Payment
from payments.receipts import Receipt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def actor(user_in, organization):
    return user_in(Role.FINANCE, organization)


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, currency="USD")


def invoice_of(customer, total="100.00"):
    return InvoiceFactory(
        organization=customer.organization, customer=customer, sent=True, total=total
    )


def receive(customer, amount, actor, allocations=()):
    return Receipt.record(
        customer,
        currency="USD",
        amount=amount,
        method="bank_transfer",
        allocations=list(allocations),
        actor=actor,
    )


def assert_clean(customer):
    assert all(amount >= 0 for amount in credit_balances(customer).values())
    assert not CustomerCredit.objects.filter(amount__lt=0).exists()
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def outcome(results, kind):
    done = [r for r in results if isinstance(r, kind)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, DomainError) for e in errors), errors
    return done, [e.code for e in errors]


def test_two_receipt_reversals_spending_one_customers_credit(customer, actor):
    """Each receipt left 30.00 on credit; 30.00 of it was paid back: only one receipt's
    rest can still be taken back out of the credit."""
    for _ in range(3):
        first, second = receive(customer, "30.00", actor), receive(customer, "30.00", actor)
        refund_credit(customer, currency="USD", amount="30.00", method="cash", actor=actor)
        receipts = [first, second]
        results = run_at_once(lambda i, rs=receipts: rs[i].reverse(actor=actor), range(2))
        done, codes = outcome(results, Receipt)
        assert len(done) == 1 and codes == ["credit_already_used"]
        assert credit_balances(customer) == {"USD": D("0.00")}
        assert_clean(customer)


def test_two_first_receipts_of_a_customer_both_reach_its_credit(customer, actor):
    """No balance row yet: both create-or-read it, neither is lost."""
    results = run_at_once(lambda i: receive(customer, "25.00", actor), range(2))
    done, codes = outcome(results, Receipt)
    assert len(done) == 2 and codes == []
    assert credit_balances(customer) == {"USD": D("50.00")}
    assert_clean(customer)


def test_apply_credit_racing_a_credit_refund(customer, actor):
    invoice = invoice_of(customer)
    for _ in range(3):
        receive(customer, "70.00", actor)

        def spend(index):
            if index == 0:
                return Payment.apply_credit(invoice, amount="70.00", actor=actor)
            return refund_credit(
                customer, currency="USD", amount="70.00", method="cash", actor=actor
            )

        results = run_at_once(spend, range(2))
        errors = [r for r in results if isinstance(r, Exception)]
        assert [e.code for e in errors] == ["insufficient_credit"], results
        assert credit_balances(customer) == {"USD": D("0.00")}
        if isinstance(results[0], Payment):
            Payment.objects.get(pk=results[0].pk).reverse(actor=actor)
            refund_credit(customer, currency="USD", amount="70.00", method="cash", actor=actor)
        assert_clean(customer)


def test_a_receipt_racing_a_payment_on_one_of_its_invoices(customer, actor):
    for _ in range(3):
        first, second = invoice_of(customer), invoice_of(customer, "50.00")

        def race(index, first=first, second=second):
            if index == 0:
                return receive(
                    customer,
                    "160.00",
                    actor,
                    [{"invoice": second, "amount": "50.00"}, {"invoice": first, "amount": "100"}],
                )
            return Payment.pay(first, amount=D("60.00"), method="card", actor=actor)

        results = run_at_once(race, range(2))
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), results
        assert errors[0].code in {"overpayment", "invalid_status"}
        first = Invoice.objects.get(pk=first.pk)
        second = Invoice.objects.get(pk=second.pk)
        if isinstance(results[0], Receipt):
            assert (first.amount_paid, second.amount_paid) == (D("100.00"), D("50.00"))
        else:
            # The receipt refused whole: nothing of it on either invoice nor on credit.
            assert (first.amount_paid, second.amount_paid) == (D("60.00"), D("0.00"))
            assert not Payment.objects.filter(invoice=second).exists()
        assert_clean(customer)


def test_a_receipt_reversal_racing_an_apply_credit_of_its_credit(customer, actor):
    for _ in range(3):
        invoice = invoice_of(customer)
        receipt = receive(customer, "50.00", actor)

        def race(index, receipt=receipt, invoice=invoice):
            if index == 0:
                return receipt.reverse(actor=actor)
            return Payment.apply_credit(invoice, amount="50.00", actor=actor)

        results = run_at_once(race, range(2))
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), results
        assert errors[0].code in {"credit_already_used", "insufficient_credit"}
        assert credit_balances(customer) == {"USD": D("0.00")}
        entries = CreditEntry.objects.filter(customer=customer)
        assert sum(entry.amount for entry in entries) == 0
        assert_clean(customer)
