"""GET reports/summary/: invoice counts and money per currency (spec 9)."""

from collections import defaultdict

from django.db.models import Count, Q

from core.money import ZERO
from invoices.models import BOOKED_STATUSES, Invoice, InvoiceQuerySet, InvoiceStatus
from reports.services.common import Converter, money, money_sum

AMOUNTS = ("invoiced", "collected", "outstanding", "overdue_amount")


def summary(organization, *, date_from=None, date_to=None, convert_to=None):
    """One GROUP BY over the organization's invoices (by currency, and by issue date when
    converting). `from`/`to` select by issue date, so undated drafts drop out then."""
    today = organization.today()
    invoices = Invoice.objects.filter(organization=organization)
    if date_from:
        invoices = invoices.filter(issue_date__gte=date_from)
    if date_to:
        invoices = invoices.filter(issue_date__lte=date_to)
    booked = Q(status__in=BOOKED_STATUSES)
    overdue = InvoiceQuerySet.overdue_q(today)
    group = ["currency", "issue_date"] if convert_to else ["currency"]
    rows = list(
        invoices.values(*group)
        .annotate(
            **{status: Count("pk", filter=Q(status=status)) for status in InvoiceStatus.values},
            invoiced=money_sum("total", filter=booked),
            collected=money_sum("amount_paid", filter=booked),
            outstanding=money_sum("balance_due", filter=booked),
            overdue_count=Count("pk", filter=overdue),
            overdue_amount=money_sum("balance_due", filter=overdue),
        )
        .order_by(*group)
    )
    converter = Converter(organization, convert_to, rows, date_key="issue_date")
    totals = defaultdict(dict)
    for row in rows:
        entry = totals[converter.currency_of(row)]
        for key in (*InvoiceStatus.values, "overdue_count"):
            entry[key] = entry.get(key, 0) + row[key]
        for key in AMOUNTS:
            entry[key] = entry.get(key, ZERO) + converter.amount(row, key)
    return {
        "currencies": [
            {
                "currency": currency,
                "counts": {status: entry[status] for status in InvoiceStatus.values},
                **{key: money(entry[key], currency) for key in AMOUNTS[:3]},
                "overdue_count": entry["overdue_count"],
                "overdue_amount": money(entry["overdue_amount"], currency),
            }
            for currency, entry in sorted(totals.items())
        ]
    }
