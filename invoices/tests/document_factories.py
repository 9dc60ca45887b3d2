"""Test data for the PDF, e-mail and reminder tests, built with the domain commands."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice

LINES = (
    {
        "description": "Consulting, March",
        "quantity": Decimal("10"),
        "unit_price": Decimal("100.00"),
        "discount_percent": Decimal("0"),
        "tax_rate": Decimal("0"),
    },
    {
        "description": "Hosting & support <premium>",
        "quantity": Decimal("3"),
        "unit_price": Decimal("78.1667"),
        "discount_percent": Decimal("0"),
        "tax_rate": Decimal("0"),
    },
)


def draft_invoice(organization, *, customer=None, lines=LINES, **fields):
    """A draft for `organization` (total 1,234.50 with the default lines)."""
    customer = customer or CustomerFactory(organization=organization, name="Globex Corporation")
    return Invoice.create_draft(
        organization=organization,
        customer=customer,
        actor=User.objects.system_actor(),
        lines=[dict(line) for line in lines],
        **fields,
    )


def sent_invoice(organization, *, due_date=None, issue_date=None, **kwargs):
    """A sent invoice; `due_date` pins the reminder schedule."""
    if due_date is not None and issue_date is None:
        issue_date = due_date - timedelta(days=14)
    invoice = draft_invoice(organization, issue_date=issue_date, due_date=due_date, **kwargs)
    invoice.send(actor=User.objects.system_actor())
    return invoice


def pay(invoice, amount, *, reference=""):
    """Record a payment through the payments domain command."""
    from payments.models import Payment

    with transaction.atomic():
        payment = Payment.pay(
            invoice,
            amount=Decimal(amount),
            method="bank_transfer",
            reference=reference,
            received_on=invoice.issue_date,
            actor=User.objects.system_actor(),
        )
    invoice.refresh_from_db()
    return payment
