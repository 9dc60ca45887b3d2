"""Document defaults (lines, customer name) for the PDF, e-mail and reminder tests, on top of
`InvoiceFactory` and `PaymentFactory`."""

from datetime import timedelta
from decimal import Decimal

from invoices.tests.factories import InvoiceFactory

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


def draft_invoice(organization, *, lines=LINES, **fields):
    """A draft for `organization` (total 1,234.50 with the default lines)."""
    if "customer" not in fields:
        fields["customer__name"] = "Globex Corporation"
    return InvoiceFactory(organization=organization, lines=[dict(line) for line in lines], **fields)


def sent_invoice(organization, *, due_date=None, issue_date=None, **kwargs):
    """A sent invoice; `due_date` pins the reminder schedule."""
    if due_date is not None and issue_date is None:
        issue_date = due_date - timedelta(days=14)
    return draft_invoice(
        organization, issue_date=issue_date, due_date=due_date, sent=True, **kwargs
    )


def pay(invoice, amount, *, reference=""):
    """Record a payment on the invoice's issue date through the payments domain command."""
    from payments.tests.factories import PaymentFactory

    return PaymentFactory(invoice=invoice, amount=amount, reference=reference)
