"""Races on real PostgreSQL: the unique key of a bank line, the lock of a matched line.

`transaction=True`: TestCase's wrapping transaction would hide a missing atomic()."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role
from banking.models import BankLine, BankStatement
from banking.tests.factories import import_lines
from banking.tests.files import camt053, camt_entry
from fintrack.tests.races import raised, run_at_once
from invoices.tests.factories import InvoiceFactory
from payments.receipts import Receipt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_imports_of_one_statement_at_once_add_each_line_once(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    day = date(2026, 11, 30)
    entries = [
        camt_entry(amount=f"{10 + n}.00", day=day, text=f"t{n}", reference=f"R{n}")
        for n in range(40)
    ]
    # Identical transfers without a reference: keyed by their position among equals.
    entries += [camt_entry(amount="25.00", day=day, text="Beitrag", name="Verein")] * 3
    data = camt053(entries)
    results = run_at_once(
        lambda _: BankStatement.import_file(organization, data, actor=actor), range(2)
    )
    assert raised(results) == []
    assert sorted(statement.added for statement in results) == [0, 43]
    assert BankLine.objects.filter(organization=organization).count() == 43


def test_four_concurrent_matches_of_one_line_give_one_receipt(user_in, organization):
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="400.00", currency="EUR")
    (line,) = import_lines(organization, {"amount": "100.00", "text": "?"}, actor=actor)
    customer = invoice.customer
    results = run_at_once(
        lambda _: BankLine.objects.get(pk=line.pk).match(
            customer=customer,
            allocations=[{"invoice": invoice.pk, "amount": "100.00"}],
            actor=actor,
        ),
        range(4),
    )
    receipts = [result for result in results if isinstance(result, Receipt)]
    assert len(receipts) == 1
    assert [error.code for error in raised(results)] == ["already_matched"] * 3
    assert Receipt.objects.count() == 1
    line.refresh_from_db()
    assert (line.status, line.receipt_id) == ("matched", receipts[0].pk)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("100.00")
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def test_an_import_matching_while_a_hand_match_runs_records_one_receipt(user_in, organization):
    """The import's automatic match and a hand match of the same invoice's balance: the
    invoice's lock lets one pay it; the other is refused (`overpayment` / status)."""
    actor = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00", currency="EUR")
    (by_hand,) = import_lines(organization, {"amount": "100.00", "text": "?", "reference": "H"})
    data = camt053([camt_entry(amount="100.00", day=organization.today(), text=invoice.number)])

    def work(which):
        if which == "hand":
            return by_hand.match(
                customer=invoice.customer,
                allocations=[{"invoice": invoice.pk, "amount": "100.00"}],
                actor=actor,
            )
        statement = BankStatement.import_file(organization, data, actor=actor)
        return statement.match_automatically(actor=actor)

    run_at_once(work, ["hand", "import"])
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("100.00")
    assert Receipt.objects.count() == BankLine.objects.filter(status="matched").count()
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())
