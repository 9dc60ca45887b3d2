"""`manage.py verify_ledger`: silent success on a healthy ledger, each corruption named."""

import ast
import inspect
import re
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, QuerySet

from accounts.models import Role
from invoices.models import Invoice, InvoiceLine, InvoiceSequence
from invoices.tests.factories import InvoiceFactory
from payments import invariants
from payments.models import Payment

pytestmark = pytest.mark.django_db


def verify(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, out.getvalue() + err.getvalue() + str(error)
    return True, out.getvalue() + err.getvalue()


def execute(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def books(user_in, organization, other_organization):
    """Two organizations with invoices in every status and every kind of payment row."""
    actor = user_in(Role.FINANCE, organization)
    paid = InvoiceFactory(organization=organization, sent=True, total="100.00")
    partly = InvoiceFactory(organization=organization, sent=True, total="62.07")
    unpaid = InvoiceFactory(organization=organization, sent=True, total="10.00")
    void = InvoiceFactory(organization=organization, sent=True, total="5.00")
    void.void(reason="duplicate", actor=actor)
    draft = InvoiceFactory(organization=organization)
    InvoiceFactory(organization=organization).void(reason="never sent", actor=actor)
    payment = Payment.pay(paid, amount=Decimal("100.00"), method="card", actor=actor)
    Payment.refund(paid, amount=Decimal("30.00"), actor=actor)
    Payment.pay(paid, amount=Decimal("30.00"), method="cash", actor=actor)
    first = Payment.pay(partly, amount=Decimal("0.10"), method="card", actor=actor)
    Payment.pay(partly, amount=Decimal("0.20"), method="card", actor=actor)
    first.reverse(actor=actor)
    jpy = InvoiceFactory(organization=other_organization, sent=True, total="1101", currency="JPY")
    Payment.pay(jpy, amount=Decimal("1001"), method="cash", actor=actor)
    return {
        "paid": paid,
        "partly": partly,
        "unpaid": unpaid,
        "void": void,
        "draft": draft,
        "payment": payment,
        "organization": organization,
        "other_organization": other_organization,
    }


def test_healthy_ledger_exits_zero_with_a_summary(books):
    ok, output = verify()
    assert ok, output
    assert "Ledger OK" in output
    assert "2 organization(s)" in output
    assert "VIOLATION" not in output


def test_amount_paid_not_matching_payments_is_reported(books):
    # Keeps the DB's own CHECKs satisfied (balance = total - paid) so only the sum is wrong.
    execute(
        "UPDATE invoices_invoice SET amount_paid = 50, balance_due = total - 50 WHERE id = %s",
        [books["paid"].pk],
    )
    ok, output = verify()
    assert not ok
    assert "amount_paid_equals_sum_of_payments" in output
    assert "status_matches_amount_paid" in output
    assert "INV-00001" in output
    assert "organization" in output and "Acme Ltd" in output


def test_deleted_payment_row_is_reported(books):
    execute("DELETE FROM payments_payment WHERE reverses_id IS NULL AND invoice_id = %s AND "
            "kind = 'payment' AND method = 'cash'", [books["paid"].pk])  # fmt: skip
    ok, output = verify()
    assert not ok
    assert "amount_paid_equals_sum_of_payments" in output


def test_edited_line_amount_is_reported_against_its_inputs_and_the_totals(books):
    execute(
        "UPDATE invoices_invoiceline SET amount = amount + 1 WHERE invoice_id = %s",
        [books["partly"].pk],
    )
    ok, output = verify()
    assert not ok
    assert "line_figures_per_spec_5_2" in output
    assert "totals_equal_sum_of_lines" in output
    assert "INV-00002" in output


def test_numbering_gap_is_reported(books):
    execute(
        "UPDATE invoices_invoicesequence SET last_number = last_number + 2 "
        "WHERE organization_id = %s",
        [books["organization"].pk],
    )
    ok, output = verify()
    assert not ok
    assert "numbers_gapless" in output
    assert "5-6" in output


def test_duplicate_sequence_number_under_another_prefix_is_reported(books):
    execute("UPDATE invoices_invoice SET number = 'OLD-00001' WHERE id = %s",
            [books["partly"].pk])  # fmt: skip
    ok, output = verify()
    assert not ok
    assert "numbers_unique" in output
    assert "numbers_gapless" in output


def test_paid_at_on_an_unpaid_invoice_is_reported(books):
    execute("UPDATE invoices_invoice SET paid_at = sent_at WHERE id = %s", [books["partly"].pk])
    ok, output = verify()
    assert not ok
    assert "paid_at_set_iff_paid" in output


def test_reversal_with_the_wrong_amount_is_reported(books):
    execute(
        "UPDATE payments_payment SET amount = -0.05 WHERE kind = 'reversal' AND invoice_id = %s",
        [books["partly"].pk],
    )
    execute(
        "UPDATE invoices_invoice SET amount_paid = 0.25, balance_due = total - 0.25 WHERE id = %s",
        [books["partly"].pk],
    )
    ok, output = verify()
    assert not ok
    assert "reversal_cancels_a_payment_of_the_same_invoice" in output
    assert "amount_paid_equals_sum_of_payments" not in output


def test_organization_option_limits_the_check(books, other_organization):
    execute(
        "UPDATE invoices_invoice SET amount_paid = 50, balance_due = total - 50 WHERE id = %s",
        [books["paid"].pk],
    )
    ok, output = verify("--organization", str(other_organization.pk))
    assert ok, output
    assert "1 organization(s)" in output
    ok, output = verify("--organization", "999999")
    assert not ok
    assert "Unknown organization" in output


def test_invoices_are_consistent_after_every_api_path(books):
    assert Invoice.objects.get(pk=books["paid"].pk).status == "paid"
    assert verify()[0]


# --- one test per rule ------------------------------------------------------------------
#
# Each corruption below is a raw queryset `.update()`: it bypasses the model methods (and
# their history), as a bad migration, a manual fix in a SQL shell or a bug would. A rule
# the database's own CHECK already guards is corrupted with that CHECK switched off for the
# test, so the command's second line of defence is proven too.


@contextmanager
def check_constraint_off(model, name):
    """Let one test write a row that breaks `model`'s CHECK `name` (rolled back after it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # DDL is transactional in PostgreSQL: the test's rollback restores the CHECK.
            # Deferred foreign-key checks must run first: ALTER TABLE refuses pending ones.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {model._meta.db_table} DROP CONSTRAINT {name}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            yield
        else:
            # SQLite cannot drop one CHECK; it can ignore them all for this connection.
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def raw_payments():
    """Payment's own manager refuses bulk writes (rows are immutable); a plain QuerySet does
    not, which is the point here."""
    return QuerySet(model=Payment)


def corrupt_line(books):
    InvoiceLine.objects.filter(invoice=books["unpaid"]).update(tax_amount=F("tax_amount") + 1)


def corrupt_invoice_totals(books):
    Invoice.objects.filter(pk=books["unpaid"].pk).update(
        subtotal=F("subtotal") + 1, total=F("total") + 1, balance_due=F("balance_due") + 1
    )


def corrupt_total(books):
    Invoice.objects.filter(pk=books["unpaid"].pk).update(
        total=F("total") + 1, balance_due=F("balance_due") + 1
    )


def corrupt_amount_paid(books):
    Invoice.objects.filter(pk=books["paid"].pk).update(
        amount_paid=Decimal("50"), balance_due=Decimal("50")
    )


def corrupt_amount_paid_beyond_total(books):
    # The payment rows too, so amount_paid still equals their sum: only 0..total is broken.
    invoice = books["partly"]
    # The balance goes negative with it, which its own CHECK (spec 14) also refuses.
    with (
        check_constraint_off(Invoice, "invoice_amount_paid_within_total"),
        check_constraint_off(Invoice, "invoice_settlements_non_negative"),
    ):
        raw_payments().filter(invoice=invoice, amount=Decimal("0.20")).update(
            amount=Decimal("70.00")
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            amount_paid=Decimal("70.00"), balance_due=F("total") - Decimal("70.00")
        )


def corrupt_balance_due(books):
    with check_constraint_off(Invoice, "invoice_balance_is_what_is_still_claimed"):
        Invoice.objects.filter(pk=books["unpaid"].pk).update(balance_due=Decimal("3.00"))


def corrupt_negative_credited_total(books):
    # The balance identity still holds (10.00 = 10.00 - 0 - (-3.00) - 3.00): only a sign is
    # wrong, which no other rule sees.
    with check_constraint_off(Invoice, "invoice_settlements_non_negative"):
        Invoice.objects.filter(pk=books["unpaid"].pk).update(
            credited_total=Decimal("-3.00"), written_off_total=Decimal("3.00")
        )


def corrupt_written_off_total(books):
    # Written off on paper but the balance left owed: the status rule and the write-off
    # amount disagree with what the invoice still claims.
    Invoice.objects.filter(pk=books["unpaid"].pk).update(
        written_off_total=Decimal("4.00"), balance_due=Decimal("6.00"), status="uncollectible"
    )


def corrupt_void_with_payments(books):
    Invoice.objects.filter(pk=books["paid"].pk).update(status="void", paid_at=None)


def corrupt_draft_with_payments(books):
    with check_constraint_off(Invoice, "invoice_draft_has_no_number"):
        Invoice.objects.filter(pk=books["partly"].pk).update(status="draft")


def corrupt_status(books):
    Invoice.objects.filter(pk=books["partly"].pk).update(status="sent")


def corrupt_paid_at(books):
    Invoice.objects.filter(pk=books["paid"].pk).update(paid_at=None)


def corrupt_draft_number(books):
    # The void invoice was sent (numbered) and has no payment row: only its status is wrong.
    with check_constraint_off(Invoice, "invoice_draft_has_no_number"):
        Invoice.objects.filter(pk=books["void"].pk).update(status="draft")


def corrupt_sent_without_number(books):
    Invoice.objects.filter(pk=books["unpaid"].pk).update(number=None)


def corrupt_payment_currency(books):
    raw_payments().filter(pk=books["payment"].pk).update(currency="EUR")


def corrupt_payment_organization(books):
    raw_payments().filter(pk=books["payment"].pk).update(organization=books["other_organization"])


def corrupt_reversal(books):
    # The reversal now points at a refund of another invoice.
    refund = Payment.objects.get(kind="refund", invoice=books["paid"])
    raw_payments().filter(kind="reversal", invoice=books["partly"]).update(reverses=refund)


def corrupt_number_format(books):
    Invoice.objects.filter(pk=books["unpaid"].pk).update(number="INV-3")


def corrupt_sequence_backwards(books):
    InvoiceSequence.objects.filter(organization=books["organization"]).update(
        last_number=F("last_number") - 1
    )


def corrupt_sequence_forwards(books):
    InvoiceSequence.objects.filter(organization=books["organization"]).update(
        last_number=F("last_number") + 1
    )


def corrupt_duplicate_number(books):
    # Under another prefix: the unique index is on the whole number, the series is not.
    Invoice.objects.filter(pk=books["unpaid"].pk).update(number="OLD-00001")


RULE_CORRUPTIONS = [
    ("line_figures_per_spec_5_2", corrupt_line),
    ("totals_equal_sum_of_lines", corrupt_invoice_totals),
    ("total_is_subtotal_minus_discount_plus_tax", corrupt_total),
    ("amount_paid_equals_sum_of_payments", corrupt_amount_paid),
    ("amount_paid_within_total", corrupt_amount_paid_beyond_total),
    ("balance_due_is_total_minus_paid_credited_and_written_off", corrupt_balance_due),
    ("settlements_non_negative", corrupt_negative_credited_total),
    ("written_off_total_is_what_is_still_claimed", corrupt_written_off_total),
    ("no_payments_on_draft_or_void", corrupt_void_with_payments),
    ("no_payments_on_draft_or_void", corrupt_draft_with_payments),
    ("status_matches_amount_paid", corrupt_status),
    ("paid_at_set_iff_paid", corrupt_paid_at),
    ("draft_has_no_number", corrupt_draft_number),
    ("sent_invoice_has_number", corrupt_sent_without_number),
    ("payment_matches_invoice", corrupt_payment_currency),
    ("payment_matches_invoice", corrupt_payment_organization),
    ("reversal_cancels_a_payment_of_the_same_invoice", corrupt_reversal),
    ("number_format", corrupt_number_format),
    ("numbers_gapless", corrupt_sequence_forwards),
    ("numbers_within_sequence", corrupt_sequence_backwards),
    ("numbers_unique", corrupt_duplicate_number),
]


def exit_code_and_output():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError as error:
        # `manage.py` exits with the error's returncode.
        return error.returncode, out.getvalue() + err.getvalue() + str(error)
    return 0, out.getvalue() + err.getvalue()


def test_the_clean_ledger_exits_zero(books):
    code, output = exit_code_and_output()
    assert code == 0, output
    assert "VIOLATION" not in output


@pytest.mark.parametrize(
    ("rule", "corrupt"), RULE_CORRUPTIONS, ids=[c.__name__ for _, c in RULE_CORRUPTIONS]
)
def test_each_rule_names_its_violation_and_exits_one(books, rule, corrupt):
    corrupt(books)
    code, output = exit_code_and_output()
    assert code == 1, output
    assert f"[{rule}]" in output


def rules_in_the_ledger_check():
    """Every rule name the ledger check can report: the string passed to `report` or
    `_report`, read from its source so a new rule without a test fails below."""
    tree = ast.parse(inspect.getsource(invariants))
    rules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("report", "_report"):
                rules.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", arg.value)
                )
    return rules


def test_every_rule_of_the_ledger_check_has_a_corruption_test():
    rules = rules_in_the_ledger_check()
    assert len(rules) >= 17
    assert rules == {rule for rule, _ in RULE_CORRUPTIONS}


def test_payments_that_cancel_out_in_floating_point_are_clean(organization, finance_user):
    # SQLite sums decimals as floats: 0.003 + 0.003 + 0.003 - 0.009 is not 0 there.
    invoice = InvoiceFactory(organization=organization, sent=True, total="10.000", currency="KWD")
    for _ in range(3):
        Payment.pay(invoice, amount=Decimal("0.003"), method="card", actor=finance_user)
    Payment.refund(invoice, amount=Decimal("0.009"), actor=finance_user)
    code, output = exit_code_and_output()
    assert code == 0, output
