"""Credit notes and write-offs made through their commands (`CreditNote.issue`,
`WriteOff.write_off`), so every stored figure is one the application writes."""

from decimal import Decimal

from accounts.models import User
from credits.models import CreditNote, WriteOff
from invoices.tests.factories import line


def credit(invoice, amount="10.00", *, tax_rate=None, refund=False, actor=None, reason="Fix"):
    """Issue a one-line credit note of `amount` (net of tax when `tax_rate` is given) and
    refresh `invoice`."""
    extra = {} if tax_rate is None else {"tax_rate": tax_rate}
    note = CreditNote.issue(
        invoice,
        lines=[line("Correction", unit_price=amount, **extra)],
        reason=reason,
        refund=refund,
        actor=actor or User.objects.system_actor(),
    )
    invoice.refresh_from_db()
    return note


def write_off(invoice, *, actor=None, reason="Customer insolvent"):
    WriteOff.write_off(invoice, reason=reason, actor=actor or User.objects.system_actor())
    invoice.refresh_from_db()
    return invoice.write_off


def figures(invoice):
    invoice.refresh_from_db()
    return (
        invoice.status,
        invoice.amount_paid,
        invoice.credited_total,
        invoice.written_off_total,
        invoice.balance_due,
    )


D = Decimal
