"""Bill payments race on real PostgreSQL row locks (threads, each with its own connection)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import Role
from bills.models import Bill, BillPayment, BillStatus
from bills.tests.factories import make_bill
from core.errors import DomainError
from fintrack.tests.races import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_bill_paid_twice_at_once_past_its_balance_is_paid_once(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    bill = make_bill(organization, total="100.00", approved=True)
    # Each payment alone fits; both together would pay 160.00 on a 100.00 bill.
    results = run_at_once(
        lambda i: BillPayment.pay(bill, amount=Decimal("80.00"), method="card", actor=actor),
        range(2),
    )
    accepted = [r for r in results if isinstance(r, BillPayment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(accepted), [error.code for error in refused]) == (1, ["overpayment"])
    bill = Bill.objects.get(pk=bill.pk)
    assert (bill.amount_paid, bill.balance_due, bill.status) == (
        Decimal("80.00"),
        Decimal("20.00"),
        BillStatus.PARTIALLY_PAID,
    )


def test_many_concurrent_payments_never_exceed_the_total(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    bill = make_bill(organization, total="100.00", approved=True)
    results = run_at_once(
        lambda i: BillPayment.pay(bill, amount=Decimal("7.00"), method="card", actor=actor),
        range(16),
    )
    assert len([r for r in results if isinstance(r, BillPayment)]) == 14
    bill = Bill.objects.get(pk=bill.pk)
    assert bill.amount_paid == bill.payments.aggregate(total=Sum("amount"))["total"] == 98


def test_one_payment_reversed_twice_at_once_is_reversed_once(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    bill = make_bill(organization, total="100.00", approved=True)
    payment = BillPayment.pay(bill, amount=Decimal("30.00"), method="card", actor=actor)
    results = run_at_once(lambda i: payment.reverse(actor=actor), range(2))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert [error.code for error in refused] == ["already_reversed"]
    bill = Bill.objects.get(pk=bill.pk)
    assert (bill.amount_paid, bill.status) == (0, BillStatus.APPROVED)
