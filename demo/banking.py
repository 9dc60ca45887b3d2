"""The demo's bank statement (spec 15): a CSV export of the demo account, imported as the
API imports one, with two lines left for a clerk: money in that names no invoice, and a
bank fee going out."""

from banking.models import BankStatement

ACCOUNT = "Demo Trading Co operating account"


def seed_bank_statement(organization, actor):
    """Import the statement and run the automatic matching on it (nothing in it names an
    open invoice, so both lines stay unmatched). Returns the statement."""
    day = organization.today().isoformat()
    data = (
        "date,amount,currency,reference,counterparty\n"
        f"{day},129.00,USD,Remittance March scanners,Fabrikam GmbH\n"
        f"{day},-12.50,USD,Account maintenance fee,First Demo Bank\n"
    ).encode()
    statement = BankStatement.import_file(organization, data, actor=actor, account=ACCOUNT)
    statement.match_automatically(actor=actor)
    return statement
