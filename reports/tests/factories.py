"""Report data built only through the domain methods (create_draft, send, void, Payment.pay,
refund, reverse; invoices and payments through `InvoiceFactory` and `PaymentFactory`), so
every stored figure is one the application itself would write."""

from datetime import date
from decimal import Decimal

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from reports.tests.conftest import today_is


def actor():
    return User.objects.system_actor()


def customer(organization, name=None, currency="USD", **fields):
    if name:
        fields["name"] = name
    return CustomerFactory(organization=organization, currency=currency, **fields)


def draft(client, total, *, currency=None, issue=None, due=None, **fields):
    """A draft of one line whose total is exactly `total`."""
    return InvoiceFactory(
        organization=client.organization,
        customer=client,
        currency=currency or client.currency,
        issue_date=issue,
        due_date=due,
        lines=[line("Work", unit_price=total)],
        **fields,
    )


def sent(client, total, *, issue, due=None, currency=None, **fields):
    return draft(
        client, total, currency=currency, issue=issue, due=due or issue, sent=True, **fields
    )


def void(client, total, *, issue):
    invoice = sent(client, total, issue=issue)
    invoice.void(reason="Issued by mistake", actor=actor())
    return invoice


def pay(invoice, amount, on, reference=""):
    return PaymentFactory(invoice=invoice, amount=amount, received_on=on, reference=reference)


def refund(invoice, amount, on: date):
    with today_is(on):
        return Payment.refund(invoice, amount=Decimal(amount), actor=actor())


def reverse(payment, on: date):
    with today_is(on):
        return payment.reverse(actor=actor(), reason="Bounced")
