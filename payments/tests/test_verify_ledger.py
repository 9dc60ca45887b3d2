"""`manage.py verify_ledger`: silent success on a healthy ledger, each corruption named."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Role
from invoices.models import Invoice
from payments.models import Payment
from payments.tests.factories import draft_invoice, sent_invoice

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
    paid = sent_invoice(organization, total="100.00")
    partly = sent_invoice(organization, total="62.07")
    sent_invoice(organization, total="10.00")
    void = sent_invoice(organization, total="5.00")
    void.void(reason="duplicate", actor=actor)
    draft_invoice(organization)
    draft_invoice(organization).void(reason="never sent", actor=actor)
    payment = Payment.pay(paid, amount=Decimal("100.00"), method="card", actor=actor)
    Payment.refund(paid, amount=Decimal("30.00"), actor=actor)
    Payment.pay(paid, amount=Decimal("30.00"), method="cash", actor=actor)
    first = Payment.pay(partly, amount=Decimal("0.10"), method="card", actor=actor)
    Payment.pay(partly, amount=Decimal("0.20"), method="card", actor=actor)
    first.reverse(actor=actor)
    jpy = sent_invoice(other_organization, total="1101", currency="JPY")
    Payment.pay(jpy, amount=Decimal("1001"), method="cash", actor=actor)
    return {"paid": paid, "partly": partly, "payment": payment, "organization": organization}


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
