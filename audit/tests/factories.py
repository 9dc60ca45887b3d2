"""Invoices built through the domain methods, so their history is what production writes."""

from decimal import Decimal

from customers.tests.factories import CustomerFactory
from invoices.models import Invoice

LINE = {"description": "Consulting", "quantity": Decimal("3"), "unit_price": Decimal("19.99")}


def draft_invoice(organization, actor, *, lines=(LINE,), customer=None, **fields):
    customer = customer or CustomerFactory(organization=organization, currency="USD")
    return Invoice.create_draft(
        organization=organization, customer=customer, actor=actor, lines=list(lines), **fields
    )


def sent_invoice(organization, actor, **kwargs):
    invoice = draft_invoice(organization, actor, **kwargs)
    invoice.send(actor=actor)
    return invoice
