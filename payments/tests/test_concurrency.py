"""Races on real PostgreSQL row locks: threads, each with its own connection and transaction.

`transaction=True` is essential: TestCase's wrapping transaction would hide a missing
atomic() or a lock taken too late.
"""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from accounts.models import Role
from fintrack.exceptions import DomainError
from invoices.models import Invoice, InvoiceStatus
from payments.models import Payment, PaymentKind
from payments.tests.factories import sent_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(count, target):
    """Start `count` threads that call `target(index)` together; return results/errors."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:  # collected and asserted by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_concurrent_payments_never_exceed_the_total(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = sent_invoice(organization, total="100.00")
    # 20 x 7.00 = 140.00 > 100.00: exactly 14 fit, the rest must be refused.
    results = run_concurrently(
        20, lambda i: Payment.pay(invoice, amount=Decimal("7.00"), method="card", actor=actor)
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
    invoice = sent_invoice(organization, total="100.00")
    results = run_concurrently(
        20, lambda i: Payment.pay(invoice, amount=Decimal("10.00"), method="cash", actor=actor)
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
    invoice = sent_invoice(organization, total="100.00")
    payment = Payment.pay(invoice, amount=Decimal("40.00"), method="card", actor=actor)
    results = run_concurrently(2, lambda i: Payment.objects.get(pk=payment.pk).reverse(actor=actor))
    reversals = [r for r in results if isinstance(r, Payment)]
    errors = [r for r in results if not isinstance(r, Payment)]
    assert len(reversals) == 1
    assert [error.code for error in errors] == ["already_reversed"]
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def test_concurrent_refunds_never_exceed_amount_paid(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = sent_invoice(organization, total="100.00")
    Payment.pay(invoice, amount=Decimal("50.00"), method="card", actor=actor)
    results = run_concurrently(
        10, lambda i: Payment.refund(invoice, amount=Decimal("20.00"), actor=actor)
    )
    assert sum(isinstance(r, Payment) for r in results) == 2
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("10.00")
