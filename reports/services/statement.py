"""GET customers/{id}/statement/: a customer's account in one currency (spec 9)."""

from django.db.models import CharField as TextField
from django.db.models import F, IntegerField, Value

from core.money import ZERO
from invoices.models import BOOKED_STATUSES, Invoice
from payments.models import Payment
from reports.services.common import MONEY_OUTPUT, money, money_sum


def statement(customer, *, currency, date_from=None, date_to):
    """Opening balance before `from`, every movement from `from` to `to` with the running
    balance, and the closing balance. Invoices add their total on their issue date;
    payments subtract, refunds and reversals add back (the effect is minus the signed
    payment amount). Same-day movements list invoices first, then in creation order.

    Three queries: the two opening sums and one UNION for the lines.
    """
    invoices = Invoice.objects.filter(
        organization=customer.organization_id,
        customer=customer,
        currency=currency,
        status__in=BOOKED_STATUSES,
    )
    payments = Payment.objects.filter(
        organization=customer.organization_id, invoice__customer=customer, currency=currency
    )
    opening = ZERO
    if date_from:
        opening += invoices.filter(issue_date__lt=date_from).aggregate(s=money_sum("total"))["s"]
        opening -= payments.filter(received_on__lt=date_from).aggregate(s=money_sum("amount"))["s"]
        invoices = invoices.filter(issue_date__gte=date_from)
        payments = payments.filter(received_on__gte=date_from)
    invoices = invoices.filter(issue_date__lte=date_to)
    payments = payments.filter(received_on__lte=date_to)

    text = TextField()
    # Both halves select the same columns in the same order.
    invoice_lines = invoices.values(
        line_date=F("issue_date"),
        line_type=Value("invoice", output_field=text),
        line_number=F("number"),
        line_reference=F("reference"),
        effect=F("total"),
        same_day_order=Value(0, output_field=IntegerField()),
        row_id=F("id"),
    ).order_by()
    payment_lines = payments.values(
        line_date=F("received_on"),
        line_type=F("kind"),
        line_number=F("invoice__number"),
        line_reference=F("reference"),
        effect=Value(0, output_field=MONEY_OUTPUT) - F("amount"),
        same_day_order=Value(1, output_field=IntegerField()),
        row_id=F("id"),
    ).order_by()
    movements = invoice_lines.union(payment_lines, all=True).order_by(
        "line_date", "same_day_order", "row_id"
    )
    balance = opening
    lines = []
    for movement in movements:
        balance += movement["effect"]
        lines.append(
            {
                "date": movement["line_date"].isoformat(),
                "type": movement["line_type"],
                "number": movement["line_number"],
                "reference": movement["line_reference"],
                "amount": money(movement["effect"], currency),
                "balance": money(balance, currency),
            }
        )
    return {
        "customer": customer.pk,
        "currency": currency,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat(),
        "opening_balance": money(opening, currency),
        "lines": lines,
        "closing_balance": money(balance, currency),
    }
