"""Recurring invoices built through `RecurringInvoice.create` (the one way in)."""

from datetime import date

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.tests.factories import line


def recurring_invoice(organization, *, customer=None, actor=None, lines=None, **fields):
    """A monthly template of one 100.00 line from 2026-01-01, unless told otherwise."""
    from recurring.models import RecurringInvoice

    customer = customer or CustomerFactory(organization=organization)
    fields.setdefault("interval", "month")
    fields.setdefault("start_date", date(2026, 1, 1))
    return RecurringInvoice.create(
        organization=organization,
        customer=customer,
        actor=actor or User.objects.system_actor(),
        lines=lines or [line(description="Retainer", unit_price="100.00")],
        **fields,
    )
