"""verify_ledger's rules of spec 14: a clean ledger with credit notes, refunds, write-offs
and recoveries passes; each corruption is named."""

from decimal import Decimal

import pytest
from django.db.models import F, QuerySet
from django.utils import timezone

from credits import credit_invariants, invariants
from credits.models import CreditNote, CreditNoteLine, CreditNoteSequence, WriteOff
from credits.tests.factories import credit, write_off
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, line
from payments.credit import CreditEntry, CustomerCredit, credit_customer, refund_credit
from payments.models import Payment
from payments.receipts import Receipt
from payments.tests.factories import PaymentFactory
from payments.tests.test_verify_ledger import (
    check_constraint_off,
    exit_code_and_output,
    raw_payments,
)
from payments.tests.test_verify_ledger import (
    rules_in_the_ledger_check as rules_in_module,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def books(organization, other_organization, finance_user):
    credited = InvoiceFactory(
        organization=organization,
        sent=True,
        lines=[line("Books", unit_price="100.00", tax_rate="5"), line("Wine", unit_price="50.00")],
    )
    PaymentFactory(invoice=credited, amount="150.00")
    refunding = credit(credited, "20.00", tax_rate="5", refund=True)
    on_balance_invoice = InvoiceFactory(organization=organization, sent=True, total="80.00")
    on_balance = credit(on_balance_invoice, "30.00")
    lost = InvoiceFactory(organization=organization, sent=True, total="90.00")
    PaymentFactory(invoice=lost, amount="10.00")
    write_off(lost)
    PaymentFactory(invoice=lost, amount="15.00")  # a recovery
    credit(lost, "5.00")
    foreign = InvoiceFactory(
        organization=other_organization, sent=True, total="1000", currency="JPY"
    )
    credit(foreign, "100")
    return {
        **credit_books(organization, finance_user),
        "credited": credited,
        "refunding": refunding,
        "on_balance": on_balance,
        "on_balance_invoice": on_balance_invoice,
        "lost": lost,
        "organization": organization,
    }


def credit_books(organization, actor):
    """Customer credit and receipts: a receipt kept, one reversed, credit applied (once
    reversed), refunded, an overpayment to credit, and credit in a second currency."""
    customer = CustomerFactory(organization=organization)
    first = InvoiceFactory(organization=organization, customer=customer, sent=True, total="100")
    second = InvoiceFactory(organization=organization, customer=customer, sent=True, total="50")

    def receive(amount, *shares):
        allocations = [{"invoice": invoice, "amount": share} for invoice, share in shares]
        return Receipt.record(
            customer, currency="USD", amount=amount, method="bank_transfer",
            allocations=allocations, actor=actor,
        )  # fmt: skip

    kept = receive("130.00", (first, "60.00"), (second, "40"))
    third = InvoiceFactory(organization=organization, customer=customer, sent=True, total="80")
    bounced = receive("90.00", (third, "70.00"))
    bounced.reverse(actor=actor)
    applied = Payment.apply_credit(first, amount="20.00", actor=actor)
    undone = Payment.apply_credit(second, amount="5.00", actor=actor)
    undone.reverse(actor=actor)
    refund_credit(customer, currency="USD", amount="2.00", method="cash", actor=actor)
    Payment.pay(third, amount="90.00", method="card", excess="credit", actor=actor)
    credit_customer(customer, currency="JPY", amount="500", kind="receipt", actor=actor)
    return {
        "customer": customer,
        "kept": kept,
        "bounced": bounced,
        "applied": applied,
        "third": third,
    }


def raw_entries():
    """Entries refuse bulk writes; a plain QuerySet corrupts them for the test."""
    return QuerySet(model=CreditEntry)


def raw_notes():
    return CreditNote._base_manager.all()


def test_the_clean_ledger_with_credit_notes_and_write_offs_passes(books):
    code, output = exit_code_and_output()
    assert code == 0, output
    assert "4 credit note(s), 1 write-off(s)" in output
    assert "2 receipt(s)" in output


def corrupt_note_line(books):
    CreditNoteLine._base_manager.filter(credit_note=books["on_balance"]).update(
        amount=F("amount") + 1
    )


def corrupt_note_subtotal(books):
    with check_constraint_off(CreditNote, "credit_note_total_is_settled_in_full"):
        raw_notes().filter(pk=books["on_balance"].pk).update(subtotal=D("31.00"))


def corrupt_note_total(books):
    with check_constraint_off(CreditNote, "credit_note_total_is_settled_in_full"):
        raw_notes().filter(pk=books["on_balance"].pk).update(total=D("29.00"))


def corrupt_note_settlement(books):
    with check_constraint_off(CreditNote, "credit_note_total_is_settled_in_full"):
        raw_notes().filter(pk=books["on_balance"].pk).update(credited_to_invoice=D("20.00"))


def corrupt_note_credit_entry(books):
    # Moved to the customer's credit without its entry: the totals still add up.
    raw_notes().filter(pk=books["on_balance"].pk).update(
        credited_to_invoice=D("20.00"), credited_to_balance=D("10.00")
    )


def corrupt_note_refund(books):
    raw_notes().filter(pk=books["refunding"].pk).update(refund_payment=None)


def corrupt_note_currency(books):
    raw_notes().filter(pk=books["on_balance"].pk).update(currency="EUR")


def corrupt_cap(books):
    # The invoice's 5 % line now charges less than its credit note credited at 5 %.
    invoice = books["credited"]
    invoice.lines.filter(tax_rate=5).update(
        amount=D("10.00"), tax_amount=D("0.50"), total=D("10.50"), unit_price=D("10.00")
    )


def corrupt_credited_total(books):
    Invoice.objects.filter(pk=books["on_balance_invoice"].pk).update(
        credited_total=D("20.00"), balance_due=D("60.00")
    )


def corrupt_written_off_on(books):
    # Still uncollectible by its figures, but no longer dated: it disagrees with its row.
    Invoice.objects.filter(pk=books["lost"].pk).update(written_off_on=None)


def corrupt_write_off_row(books):
    WriteOff._base_manager.filter(invoice=books["lost"]).update(currency="EUR")


def corrupt_recovery_flag(books):
    raw_payments().filter(invoice=books["credited"]).update(recovery=True)


def corrupt_note_number_format(books):
    raw_notes().filter(pk=books["on_balance"].pk).update(number="CN-7")


def corrupt_note_sequence_forwards(books):
    CreditNoteSequence.objects.filter(organization=books["organization"]).update(
        last_number=F("last_number") + 1
    )


def corrupt_note_sequence_backwards(books):
    CreditNoteSequence.objects.filter(organization=books["organization"]).update(
        last_number=F("last_number") - 1
    )


def corrupt_note_duplicate_number(books):
    raw_notes().filter(pk=books["on_balance"].pk).update(number="OLD-00001")


def corrupt_running_sum(books):
    # A refund of credit that was never there: the running sum goes below zero.
    entry = CreditEntry.objects.filter(kind="refunded").get()
    raw_entries().filter(pk=entry.pk).update(amount=D("-500.00"))


def corrupt_balance(books):
    CustomerCredit.objects.filter(customer=books["customer"], currency="USD").update(
        amount=F("amount") + 1
    )


def corrupt_applied_entry(books):
    raw_entries().filter(payment=books["applied"]).update(payment=None)


def corrupt_receipt_figures(books):
    Receipt.objects.filter(pk=books["kept"].pk).update(
        amount=F("amount") + 1, unallocated=F("unallocated") + 1
    )


def corrupt_allocation(books):
    raw_payments().filter(receipt=books["kept"]).update(currency="EUR")


def corrupt_reversal(books):
    Receipt.objects.filter(pk=books["kept"].pk).update(reversed_at=timezone.now())


RULE_CORRUPTIONS = [
    ("credit_note_line_figures_per_spec_5_2", corrupt_note_line),
    ("credit_note_totals_equal_sum_of_lines", corrupt_note_subtotal),
    ("credit_note_total_is_subtotal_minus_discount_plus_tax", corrupt_note_total),
    ("credit_note_settled_in_full", corrupt_note_settlement),
    ("credit_note_credit_entry_matches", corrupt_note_credit_entry),
    ("credit_note_refund_matches_its_row", corrupt_note_refund),
    ("credit_note_matches_invoice", corrupt_note_currency),
    ("credit_notes_within_invoice_per_rate", corrupt_cap),
    ("credited_total_equals_credit_notes", corrupt_credited_total),
    ("written_off_on_matches_write_off", corrupt_written_off_on),
    ("written_off_on_matches_write_off", corrupt_write_off_row),
    ("recoveries_only_on_written_off_invoices", corrupt_recovery_flag),
    ("credit_note_number_format", corrupt_note_number_format),
    ("credit_note_numbers_gapless", corrupt_note_sequence_forwards),
    ("credit_note_numbers_within_sequence", corrupt_note_sequence_backwards),
    ("credit_note_numbers_unique", corrupt_note_duplicate_number),
    ("credit_never_negative", corrupt_running_sum),
    ("credit_balance_equals_entries", corrupt_balance),
    ("credit_rows_match_their_entries", corrupt_applied_entry),
    ("receipt_equals_allocations_plus_credit", corrupt_receipt_figures),
    ("receipt_allocations_match_receipt", corrupt_allocation),
    ("receipt_reversed_whole_or_not_at_all", corrupt_reversal),
]


@pytest.mark.parametrize(
    ("rule", "corrupt"), RULE_CORRUPTIONS, ids=[c.__name__ for _, c in RULE_CORRUPTIONS]
)
def test_each_rule_names_its_violation_and_exits_one(books, rule, corrupt):
    corrupt(books)
    code, output = exit_code_and_output()
    assert code == 1, output
    assert f"[{rule}]" in output


def test_every_rule_of_the_credit_check_has_a_corruption_test(monkeypatch):
    rules = set()
    for module in (invariants, credit_invariants):
        monkeypatch.setattr("payments.tests.test_verify_ledger.invariants", module)
        rules |= rules_in_module()
    assert rules == {rule for rule, _ in RULE_CORRUPTIONS}


def test_a_refund_row_deleted_under_a_credit_note_is_reported(books):
    # The cash check of spec 6 sees it too; the note's own rule names the broken link.
    raw_payments().filter(pk=books["refunding"].refund_payment_id).update(amount=D("-1.00"))
    code, output = exit_code_and_output()
    assert code == 1
    assert "[credit_note_refund_matches_its_row]" in output
