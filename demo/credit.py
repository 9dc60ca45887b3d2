"""The demo's customer credit (spec 14): a customer who paid two invoices with one transfer
that was more than they owed; the rest is held as credit, part of it already used."""

from decimal import Decimal

from customers.models import Customer
from invoices.models import Invoice
from payments.credit import credit_balances
from payments.models import Payment
from payments.receipts import Receipt


def seed_customer_credit(organization, actor, line):
    """Tailspin Toys: invoices of 500.00 and 300.00 paid by one 1,000.00 transfer (200.00
    to credit), then 50.00 of the credit applied to a third invoice. Returns the customer
    and its credit per currency."""
    customer = Customer(
        organization=organization,
        name="Tailspin Toys",
        email="payables@tailspin.example",
        country="US",
    )
    customer._history_user = actor
    customer.save()
    invoices = []
    for description, price in (
        ("Workshop", "500.00"),
        ("Support plan", "300.00"),
        ("Setup", "90.00"),
    ):
        invoice = Invoice.create_draft(
            organization=organization,
            customer=customer,
            actor=actor,
            lines=[line(description, "1", price)],
        )
        invoice.send(actor=actor)
        invoices.append(invoice)
    Receipt.record(
        customer,
        currency=organization.base_currency,
        amount=Decimal("1000.00"),
        method="bank_transfer",
        reference="DEMO-TRANSFER-1",
        allocations=[
            {"invoice": invoices[0], "amount": Decimal("500.00")},
            {"invoice": invoices[1], "amount": Decimal("300.00")},
        ],
        actor=actor,
    )
    Payment.apply_credit(invoices[2], amount=Decimal("50.00"), actor=actor)
    return customer, credit_balances(customer)
