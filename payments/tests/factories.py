"""The one payment factory: payments are made through `Payment.pay`, the command every
caller uses, so the invoice is locked, checked and recomputed as in production."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment


class PaymentFactory(DjangoModelFactory):
    """`PaymentFactory(invoice=inv)` pays the invoice's whole balance on its issue date;
    `amount`, `method`, `reference`, `received_on` and `actor` may be given. The invoice
    passed in is refreshed, so it shows the new figures."""

    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory, sent=True)
    amount = factory.LazyAttribute(lambda o: o.invoice.balance_due)
    method = "bank_transfer"
    reference = ""
    received_on = factory.LazyAttribute(lambda o: o.invoice.issue_date)
    actor = None

    @classmethod
    def _create(cls, model_class, *args, invoice, amount, actor, **kwargs):
        payment = model_class.pay(
            invoice,
            amount=Decimal(amount),
            actor=actor or User.objects.system_actor(),
            **kwargs,
        )
        invoice.refresh_from_db()
        return payment
