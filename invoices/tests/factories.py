"""Invoice factories. Invoices are built through `Invoice.create_draft` (the one way in),
so their stored totals are always consistent with their lines."""

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
    """`InvoiceFactory(organization=org, lines=[line(...)])` -> a draft.

    `sent=True` sends it afterwards (number, dates); `actor` defaults to the system actor.
    """

    class Meta:
        model = Invoice

    organization = factory.SubFactory(OrganizationFactory)
    customer = factory.LazyAttribute(lambda o: CustomerFactory(organization=o.organization))
    lines = factory.LazyFunction(lambda: [line()])

    @classmethod
    def _create(cls, model_class, *args, sent=False, actor=None, **kwargs):
        actor = actor or User.objects.system_actor()
        invoice = model_class.create_draft(actor=actor, **kwargs)
        if sent:
            invoice.send(actor=actor)
        return invoice
