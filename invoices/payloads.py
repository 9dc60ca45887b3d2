"""The invoice as the API shows it, rendered without DRF for the outbox (spec 16).

Events carry the object as it was when the change committed, so the model methods render
it in their transaction; models may not import DRF, so this is plain code with the list's
own field table (`invoices/listing.py`). `invoices/tests/test_events.py` holds it to
`InvoiceSerializer`'s output.
"""

from django.utils import timezone

from core.money import MONEY_STEP, plain_formatter
from core.rendering import date_text, datetime_text
from invoices.tax import tax_breakdown

LINE_DECIMALS = ("quantity", "unit_price", "discount_percent", "tax_rate")
LINE_TAX = ("tax_category", "tax_exemption_reason")
LINE_MONEY = ("amount", "discount_amount", "tax_amount", "total")


def invoice_payload(invoice, *, lines=None):
    """`InvoiceSerializer(invoice).data`; `lines` saves the query when the caller has them."""
    # The list's field table, imported here: `invoices.listing` imports the models, which
    # import this module.
    from invoices.listing import INVOICE_HEAD, INVOICE_MONEY, INVOICE_TAIL

    zone = timezone.get_current_timezone()
    money = plain_formatter(invoice.minor_unit)
    data = {}
    for key, column in INVOICE_HEAD:
        data[key] = invoice.customer.name if key == "customer_name" else getattr(invoice, column)
    data["issue_date"] = date_text(data["issue_date"])
    data["due_date"] = date_text(data["due_date"])
    lines = list(invoice.lines.all() if lines is None else lines)
    data["lines"] = [line_payload(line, money) for line in lines]
    for key in INVOICE_MONEY:
        data[key] = money(getattr(invoice, key))
    data["tax_breakdown"] = tax_breakdown(lines, invoice.minor_unit)
    for key, column in INVOICE_TAIL:
        if key == "is_overdue":
            data[key] = invoice.overdue_on(invoice.organization.today())
        else:
            value = getattr(invoice, column)
            data[key] = datetime_text(value, zone) if hasattr(value, "astimezone") else value
    return data


def line_payload(line, money):
    data = {"id": line.pk, "description": line.description}
    for key in LINE_DECIMALS:
        data[key] = f"{getattr(line, key).quantize(MONEY_STEP):f}"
    for key in LINE_TAX:
        data[key] = getattr(line, key)
    for key in LINE_MONEY:
        data[key] = money(getattr(line, key))
    return data
