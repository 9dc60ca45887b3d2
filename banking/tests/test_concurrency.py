"""Races on real PostgreSQL: the unique key of a bank line, the lock of a matched line.

`transaction=True`: TestCase's wrapping transaction would hide a missing atomic()."""

from datetime import date

import pytest

from accounts.models import Role
from banking.models import BankLine, BankStatement
from banking.tests.files import camt053, camt_entry
from fintrack.tests.races import raised, run_at_once

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
