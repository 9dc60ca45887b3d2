"""Receipts (spec 14) through `Receipt.record` and `Receipt.reverse`: all or nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidStatus
from core.models import OutboxEvent
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.credit import CreditEntry, CreditKind, credit_balances, refund_credit
from payments.exceptions import (
    AllocationExceedsReceipt,
    CreditAlreadyUsed,
    InvalidAllocation,
    InvalidAmount,
    Overpayment,
    PartOfReceipt,
    ReceiptAlreadyReversed,
    ReceivedBeforeIssue,
    ReceivedInFuture,
    ReversalExceedsPaid,
)
from payments.models import Payment, PaymentKind
from payments.receipts import Receipt

pytestmark = pytest.mark.django_db


def record(customer, amount, allocations, actor, **extra):
    extra.setdefault("currency", "USD")
    extra.setdefault("method", "bank_transfer")
    return Receipt.record(customer, amount=amount, allocations=allocations, actor=actor, **extra)


def nothing_recorded():
    return not (
        Receipt.objects.exists() or Payment.objects.exists() or CreditEntry.objects.exists()
    )


def test_a_receipt_pays_its_invoices_and_credits_the_rest(customer, invoices, actor):
    first, second = invoices
    receipt = record(
        customer,
        "180.00",
        [{"invoice": second, "amount": "50.00"}, {"invoice": first.pk, "amount": "100.00"}],
        actor,
        reference="TRF-7",
    )
    assert (receipt.amount, receipt.allocated, receipt.unallocated) == (
        Decimal("180.00"),
        Decimal("150.00"),
        Decimal("30.00"),
    )
    # In the order written (ascending invoice id), each a payment row of the receipt.
    assert [row.invoice_id for row in receipt.allocation_rows] == [first.pk, second.pk]
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
    rows = Payment.objects.filter(receipt=receipt)
    assert {(r.kind, r.reference, r.method) for r in rows} == {
        (PaymentKind.PAYMENT, "TRF-7", "bank_transfer")
    }
    entry = CreditEntry.objects.get()
    assert (entry.kind, entry.amount, entry.receipt, entry.booked_on) == (
        "receipt",
        Decimal("30.00"),
        receipt,
        receipt.received_on,
    )
    assert credit_balances(customer) == {"USD": Decimal("30.00")}
    event = OutboxEvent.objects.get(type="receipt.created")
    assert event.payload["unallocated"] == "30.00"
    assert len(event.payload["allocations"]) == 2


def test_a_receipt_without_allocations_is_all_credit(customer, actor):
    receipt = record(customer, "25.00", [], actor)
    assert receipt.unallocated == Decimal("25.00")
    assert credit_balances(customer) == {"USD": Decimal("25.00")}


def test_a_fully_allocated_receipt_credits_nothing(customer, invoices, actor):
    record(customer, "100.00", [{"invoice": invoices[0], "amount": "100.00"}], actor)
    assert not CreditEntry.objects.exists()


def test_allocations_over_the_amount_are_refused(customer, invoices, actor):
    with pytest.raises(AllocationExceedsReceipt):
        record(
            customer,
            "120.00",
            [
                {"invoice": invoices[0], "amount": "100.00"},
                {"invoice": invoices[1], "amount": "20.01"},
            ],
            actor,
        )
    assert nothing_recorded()


def test_one_invalid_allocation_refuses_the_whole_receipt(customer, invoices, actor):
    first, second = invoices
    with pytest.raises(Overpayment) as refused:
        record(
            customer,
            "200.00",
            [{"invoice": first, "amount": "100.00"}, {"invoice": second, "amount": "50.01"}],
            actor,
        )
    assert refused.value.attr == "allocations.1.amount"
    assert nothing_recorded()
    first.refresh_from_db()
    assert first.amount_paid == 0


def test_an_allocation_received_before_its_invoice_is_refused(organization, customer, actor):
    today = organization.today()
    early = InvoiceFactory(organization=organization, customer=customer, sent=True)
    late = InvoiceFactory(organization=organization, customer=customer, issue_date=today, sent=True)
    yesterday = today - timedelta(days=1)
    with pytest.raises(ReceivedBeforeIssue) as refused:
        record(
            customer,
            "20.00",
            [{"invoice": early, "amount": "10.00"}, {"invoice": late, "amount": "10.00"}],
            actor,
            received_on=yesterday,
        )
    if early.issue_date <= yesterday:
        assert refused.value.attr == "allocations.1.received_on"
    assert nothing_recorded()


def test_allocations_must_be_the_customers_invoices_in_the_currency(
    organization, other_organization, customer, invoices, actor
):
    stranger = InvoiceFactory(organization=organization, sent=True)
    foreign = InvoiceFactory(organization=other_organization, sent=True)
    euro = InvoiceFactory(organization=organization, customer=customer, currency="EUR", sent=True)
    for invoice in (stranger, foreign, euro):
        with pytest.raises(InvalidAllocation) as refused:
            record(customer, "10.00", [{"invoice": invoice, "amount": "10.00"}], actor)
        assert refused.value.attr == "allocations.0.invoice"
    with pytest.raises(InvalidAllocation):
        record(
            customer,
            "20.00",
            [
                {"invoice": invoices[0], "amount": "10.00"},
                {"invoice": invoices[0], "amount": "10.00"},
            ],
            actor,
        )
    with pytest.raises(InvalidAmount) as refused:
        record(customer, "20.00", [{"invoice": invoices[0], "amount": "0"}], actor)
    assert refused.value.attr == "allocations.0.amount"
    assert nothing_recorded()


def test_a_draft_or_paid_invoice_refuses_its_allocation(organization, customer, actor):
    draft = InvoiceFactory(organization=organization, customer=customer)
    with pytest.raises(InvalidStatus):
        record(customer, "10.00", [{"invoice": draft, "amount": "10.00"}], actor)
    assert nothing_recorded()


def test_a_receipt_in_the_future_is_refused(organization, customer, actor):
    with pytest.raises(ReceivedInFuture):
        record(customer, "10.00", [], actor, received_on=organization.today() + timedelta(1))
    assert nothing_recorded()


def test_an_allocation_is_reversed_only_through_its_receipt(customer, invoices, actor):
    receipt = record(customer, "100.00", [{"invoice": invoices[0], "amount": "100.00"}], actor)
    with pytest.raises(PartOfReceipt):
        receipt.allocation_rows[0].reverse(actor=actor)
    assert not Payment.objects.filter(kind=PaymentKind.REVERSAL).exists()


def test_reversing_a_receipt_reverses_everything(customer, invoices, actor):
    receipt = record(
        customer,
        "180.00",
        [{"invoice": invoices[0], "amount": "100.00"}, {"invoice": invoices[1], "amount": "50.00"}],
        actor,
    )  # fmt: skip
    reversed_receipt = receipt.reverse(actor=actor, reason="bounced")
    assert reversed_receipt.reversed_at is not None
    assert reversed_receipt.reversal_reason == "bounced"
    for invoice in invoices:
        invoice.refresh_from_db()
        assert (invoice.amount_paid, invoice.status) == (0, InvoiceStatus.SENT)
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL).count() == 2
    entry = CreditEntry.objects.get(kind=CreditKind.REVERSED)
    assert (entry.amount, entry.receipt) == (Decimal("-30.00"), receipt)
    assert credit_balances(customer) == {"USD": Decimal("0.00")}
    with pytest.raises(ReceiptAlreadyReversed):
        receipt.reverse(actor=actor)
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL).count() == 2
    assert CreditEntry.objects.filter(kind=CreditKind.REVERSED).count() == 1


def test_credit_already_used_only_below_the_unallocated_amount(customer, invoices, actor):
    receipt = record(customer, "130.00", [{"invoice": invoices[0], "amount": "100.00"}], actor)
    record(customer, "10.00", [], actor)
    # 40.00 of credit, 30.00 of it from this receipt: spending 10.00 leaves enough.
    refund_credit(customer, currency="USD", amount="10.00", method="cash", actor=actor)
    refund_credit(customer, currency="USD", amount="0.01", method="cash", actor=actor)
    with pytest.raises(CreditAlreadyUsed):
        receipt.reverse(actor=actor)
    # Nothing reversed: the allocation's reversal rolled back with the refusal.
    assert not Payment.objects.filter(kind=PaymentKind.REVERSAL).exists()
    receipt.refresh_from_db()
    assert receipt.reversed_at is None
    record(customer, "0.01", [], actor)
    receipt.reverse(actor=actor)
    assert credit_balances(customer) == {"USD": Decimal("0.00")}


def test_a_receipt_whose_money_was_refunded_is_not_reversed(customer, invoices, actor):
    receipt = record(customer, "100.00", [{"invoice": invoices[0], "amount": "100.00"}], actor)
    Payment.refund(invoices[0], amount="1.00", actor=actor)
    with pytest.raises(ReversalExceedsPaid):
        receipt.reverse(actor=actor)
    receipt.refresh_from_db()
    assert receipt.reversed_at is None
    invoices[0].refresh_from_db()
    assert invoices[0].amount_paid == Decimal("99.00")
    assert not Payment.objects.filter(kind=PaymentKind.REVERSAL).exists()


def test_can_reverse_offers_only_what_reverse_takes(customer, invoices, actor):
    """The back office's Reverse button reads `can_reverse`: payments and credit rows not
    yet reversed, never a receipt's allocation (`part_of_receipt`), a refund or a reversal."""
    first, second = invoices
    allocation = record(customer, "100.00", [{"invoice": first, "amount": "100.00"}], actor)
    record(customer, "20.00", [], actor)
    credit_row = Payment.apply_credit(second, amount="20.00", actor=actor)
    payment = Payment.pay(second, amount="10.00", method="cash", actor=actor)
    refund = Payment.refund(second, amount="1.00", actor=actor)

    def offered(*rows):
        return [Payment.objects.get(pk=row.pk).can_reverse() for row in rows]

    rows = (allocation.allocation_rows[0], credit_row, payment, refund)
    assert offered(*rows) == [False, True, True, False]
    reversal = credit_row.reverse(actor=actor)
    assert offered(credit_row, reversal) == [False, False]
