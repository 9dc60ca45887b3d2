"""verify_ledger knows bank statements and lines (spec 15)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from banking.models import BankLine, BankStatement
from banking.tests.factories import import_lines
from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError:
        return False, out.getvalue() + err.getvalue()
    return True, out.getvalue()


def test_imported_lines_leave_the_ledger_clean(organization):
    import_lines(organization, {"amount": "5.00"}, {"amount": "6.00", "debit": True})
    ok, output = verify()
    assert ok, output
    assert "1 bank statement(s), 2 bank line(s)" in output


def test_a_statement_whose_added_count_lies_is_reported(organization):
    import_lines(organization, {"amount": "5.00"})
    BankStatement.objects.update(added=3)
    ok, output = verify()
    assert not ok
    assert "statement_added_equals_its_lines" in output


def test_a_line_with_more_digits_than_its_currency_is_reported(organization):
    import_lines(organization, {"amount": "5.00"})
    BankLine.objects.update(amount=Decimal("5.001"))
    ok, output = verify()
    assert not ok
    assert "bank_line_amount_in_its_currency" in output


def test_a_matched_line_whose_receipt_is_not_its_money_is_reported(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="50.00", currency="EUR")
    (line,) = import_lines(organization, {"amount": "50.00", "text": invoice.number})
    BankStatement.objects.get().match_automatically(actor=User.objects.system_actor())
    line.refresh_from_db()
    assert line.status == "matched"
    ok, output = verify()
    assert ok, output
    BankLine.objects.filter(pk=line.pk).update(amount=Decimal("49.00"))
    ok, output = verify()
    assert not ok
    assert "bank_line_receipt_is_its_money" in output
