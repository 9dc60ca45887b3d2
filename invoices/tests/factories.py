"""The one invoice factory. Invoices are built through `Invoice.create_draft` (the one way
in), then `send` and `Payment.pay` as the traits ask, so every stored figure and history row
is one the application itself writes."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.tests.factories import OrganizationFactory
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice


def line(description="Consulting", quantity="1", unit_price="100.00", **extra):
    """Line input as `create_draft(lines=[...])` takes it."""
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        **{name: Decimal(value) for name, value in extra.items()},
    }


class InvoiceFactory(DjangoModelFactory):
    """`InvoiceFactory(organization=org)` -> a draft of one 100.00 line.

    - `total="10.25"`: one line whose total is exactly that (instead of `lines=[...]`);
    - `currency`: the invoice's, and the new customer's when none is given (default: the
      organization's base currency);
    - `sent=True`: sent afterwards (number, dates); `paid=True`: sent, then paid in full
      on its issue date through `Payment.pay`;
    - `actor`: who does all of it (default: the system actor).
    """

    class Meta:
        model = Invoice

    class Params:
        paid = factory.Trait(sent=True, pay_in_full=True)

    organization = factory.SubFactory(OrganizationFactory)
    currency = None
    # A blank currency leaves the customer on the organization's base currency.
    customer = factory.SubFactory(
        CustomerFactory,
        organization=factory.SelfAttribute("..organization"),
        currency=factory.LazyAttribute(lambda c: c.factory_parent.currency or ""),
    )
    total = None
    lines = factory.LazyAttribute(
        lambda o: [line(description="Services", unit_price=o.total)] if o.total else [line()]
    )
    actor = None
    sent = False
    pay_in_full = False

    @classmethod
    def _create(cls, model_class, *args, sent, pay_in_full, actor, total, currency, **kwargs):
        actor = actor or User.objects.system_actor()
        if currency:
            kwargs["currency"] = currency
        invoice = model_class.create_draft(actor=actor, **kwargs)
        if sent:
            invoice.send(actor=actor)
        if pay_in_full:
            # Tests may build on invoices; the payments app is imported only when asked to pay.
            from payments.tests.factories import PaymentFactory

            PaymentFactory(invoice=invoice, actor=actor)
            invoice.refresh_from_db()
        return invoice
