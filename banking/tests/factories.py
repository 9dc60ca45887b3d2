"""Bank lines for tests, imported through the model as the API does."""

from datetime import date

from accounts.models import User
from banking.models import BankLine, BankStatement
from banking.tests.files import camt053, camt_entry


def import_lines(organization, *entries, actor=None, iban="DE89370400440532013000"):
    """Import a CAMT.053 of `entries` (dicts for `camt_entry`); returns the new lines."""
    actor = actor or User.objects.system_actor()
    xml = camt053([camt_entry(**{"day": date.today(), **entry}) for entry in entries], iban=iban)
    statement = BankStatement.import_file(organization, xml, actor=actor)
    return list(BankLine.objects.filter(statement=statement).order_by("position"))
