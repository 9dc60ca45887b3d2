"""Sent invoices ready to receive payments, built through the invoice lifecycle methods."""

from decimal import Decimal

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice


def draft_invoice(
    organization, *, total="100.00", currency=None, actor=None, customer=None, **fields
):
    """A draft whose single line makes its total exactly `total`."""
    actor = actor or User.objects.system_actor()
    customer = customer or CustomerFactory(
        organization=organization, currency=currency or organization.base_currency
    )
    return Invoice.create_draft(
        organization=organization,
        customer=customer,
        actor=actor,
        currency=currency or customer.currency,
        lines=[{"description": "Services", "quantity": Decimal("1"), "unit_price": Decimal(total)}],
        **fields,
    )


def sent_invoice(
    organization, *, total="100.00", currency=None, actor=None, customer=None, **fields
):
    """`fields` go to the draft, e.g. an `issue_date` before payments received earlier."""
    invoice = draft_invoice(
        organization, total=total, currency=currency, actor=actor, customer=customer, **fields
    )
    invoice.send(actor=actor or User.objects.system_actor())
    return invoice
