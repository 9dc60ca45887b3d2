"""GET reports/summary/: invoice counts and money per currency (spec 9)."""

from collections import defaultdict

from django.db.models import CharField, Count, DateField, F, Q, Value

from core.money import ZERO
from credits.models import CreditNote, WriteOff
from invoices.models import BOOKED_STATUSES, Invoice, InvoiceQuerySet, InvoiceStatus
from payments.models import CASH_ROWS, Payment
from reports.services.common import Converter, money, money_sum

AMOUNTS = ("invoiced", "collected", "outstanding", "overdue_amount")
# Spec 14's figures, each selected by its own date within `from`/`to` (not by the
# invoice's issue date): (key, rows, date field, amount field).
DATED_FIGURES = (
    ("credited", CreditNote.objects.all(), "issued_on", "total"),
    ("written_off", WriteOff.objects.all(), "written_off_on", "amount"),
    # Cash moved on written-off invoices: recoveries, less refunds and reversals of them
    # (credit applied to such an invoice settles it but is no cash: spec 9).
    ("recovered", Payment.objects.filter(CASH_ROWS, recovery=True), "received_on", "amount"),
)


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
            # Cash received for them: their payment rows but credit applied (below).
            collected=money_sum("amount_paid", filter=booked),
            outstanding=money_sum("balance_due", filter=booked),
            overdue_count=Count("pk", filter=overdue),
            overdue_amount=money_sum("balance_due", filter=overdue),
        )
        .order_by(*group)
    )
    rows += not_cash_paid(invoices, group)
    converter = Converter(organization, convert_to, rows, date_key="issue_date")
    # Counts start at 0, amounts at Decimal 0 (int 0 + Decimal is a Decimal).
    totals = defaultdict(lambda: defaultdict(int))
    for row in rows:
        entry = totals[converter.currency_of(row)]
        for key in (*InvoiceStatus.values, "overdue_count"):
            entry[key] += row.get(key, 0)
        for key in AMOUNTS:
            entry[key] += converter.amount(row, key) if key in row else ZERO
    add_dated_figures(totals, organization, date_from, date_to, convert_to)
    return {
        "currencies": [
            {
                "currency": currency,
                "counts": {status: entry[status] for status in InvoiceStatus.values},
                **{key: money(ZERO + entry[key], currency) for key in AMOUNTS[:3]},
                "overdue_count": entry["overdue_count"],
                "overdue_amount": money(ZERO + entry["overdue_amount"], currency),
                **{key: money(ZERO + entry[key], currency) for key, *_ in DATED_FIGURES},
            }
            for currency, entry in sorted(totals.items())
        ]
    }


def add_dated_figures(totals, organization, date_from, date_to, convert_to):
    """Add the `DATED_FIGURES` within the period into `totals[currency][key]`: one UNION ALL
    of a GROUP BY (currency[, date when converting]) per figure."""
    selects = []
    for key, rows, date_field, amount_field in DATED_FIGURES:
        rows = rows.filter(organization=organization)
        if date_from:
            rows = rows.filter(**{f"{date_field}__gte": date_from})
        if date_to:
            rows = rows.filter(**{f"{date_field}__lte": date_to})
        # A constant is never grouped on: without conversion, one row per currency.
        day = F(date_field) if convert_to else Value(None, output_field=DateField())
        selects.append(
            rows.order_by()
            .annotate(figure=Value(key, output_field=CharField()), day=day)
            .values("figure", "currency", "day")
            .annotate(amount=money_sum(amount_field))
        )
    grouped = list(selects[0].union(*selects[1:], all=True))
    converter = Converter(organization, convert_to, grouped, date_key="day")
    for row in grouped:
        totals[converter.currency_of(row)][row["figure"]] += converter.amount(row, "amount")


def not_cash_paid(invoices, group):
    """Rows that take from `collected` what `amount_paid` holds but is no cash (spec 9):
    credit applied to the booked `invoices`, net of its reversals; one GROUP BY."""
    rows = (
        Payment.objects.filter(~CASH_ROWS, invoice__in=invoices.filter(status__in=BOOKED_STATUSES))
        .values(*(f"invoice__{column}" for column in group))
        .annotate(credit=money_sum("amount"))
        .order_by()
    )
    return [
        {**{column: row[f"invoice__{column}"] for column in group}, "collected": -row["credit"]}
        for row in rows
    ]
