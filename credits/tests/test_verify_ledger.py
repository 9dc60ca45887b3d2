"""verify_ledger's rules of spec 14: a clean ledger with credit notes, refunds, write-offs
and recoveries passes; each corruption is named."""

from decimal import Decimal

import pytest
from django.db.models import F

from credits import invariants
from credits.models import CreditNote, CreditNoteLine, CreditNoteSequence, WriteOff
from credits.tests.factories import credit, write_off
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, line
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
def books(organization, other_organization):
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
        "credited": credited,
        "refunding": refunding,
        "on_balance": on_balance,
        "on_balance_invoice": on_balance_invoice,
        "lost": lost,
        "organization": organization,
    }


def raw_notes():
    return CreditNote._base_manager.all()


def test_the_clean_ledger_with_credit_notes_and_write_offs_passes(books):
    code, output = exit_code_and_output()
    assert code == 0, output
    assert "4 credit note(s), 1 write-off(s)" in output


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
    # Moved to the customer's credit, which does not exist: the totals still add up.
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


RULE_CORRUPTIONS = [
    ("credit_note_line_figures_per_spec_5_2", corrupt_note_line),
    ("credit_note_totals_equal_sum_of_lines", corrupt_note_subtotal),
    ("credit_note_total_is_subtotal_minus_discount_plus_tax", corrupt_note_total),
    ("credit_note_settled_in_full", corrupt_note_settlement),
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
    monkeypatch.setattr("payments.tests.test_verify_ledger.invariants", invariants)
    assert rules_in_module() == {rule for rule, _ in RULE_CORRUPTIONS}


def test_a_refund_row_deleted_under_a_credit_note_is_reported(books):
    # The cash check of spec 6 sees it too; the note's own rule names the broken link.
    raw_payments().filter(pk=books["refunding"].refund_payment_id).update(amount=D("-1.00"))
    code, output = exit_code_and_output()
    assert code == 1
    assert "[credit_note_refund_matches_its_row]" in output
