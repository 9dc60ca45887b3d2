"""Report data built only through the domain methods (create_draft, send, void, Payment.pay,
refund, reverse), so every stored figure is one the application itself would write."""

from datetime import date
from decimal import Decimal

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice
from payments.models import Payment
from reports.tests.conftest import today_is


def actor():
    return User.objects.system_actor()


def customer(organization, name=None, currency="USD", **fields):
    if name:
        fields["name"] = name
    return CustomerFactory(organization=organization, currency=currency, **fields)


def draft(client, total, *, currency=None, issue=None, due=None, **fields):
    """A draft of one line whose total is exactly `total`."""
    return Invoice.create_draft(
        organization=client.organization,
        customer=client,
        actor=actor(),
        currency=currency or client.currency,
        issue_date=issue,
        due_date=due,
        lines=[{"description": "Work", "quantity": Decimal(1), "unit_price": Decimal(total)}],
        **fields,
    )


def sent(client, total, *, issue, due=None, currency=None, **fields):
    invoice = draft(client, total, currency=currency, issue=issue, due=due or issue, **fields)
    invoice.send(actor=actor())
    return invoice


def void(client, total, *, issue):
    invoice = sent(client, total, issue=issue)
    invoice.void(reason="Issued by mistake", actor=actor())
    return invoice


def pay(invoice, amount, on, reference=""):
    return Payment.pay(
        invoice,
        amount=Decimal(amount),
        method="bank_transfer",
        actor=actor(),
        received_on=on,
        reference=reference,
    )


def refund(invoice, amount, on: date):
    with today_is(on):
        return Payment.refund(invoice, amount=Decimal(amount), actor=actor())


def reverse(payment, on: date):
    with today_is(on):
        return payment.reverse(actor=actor(), reason="Bounced")
