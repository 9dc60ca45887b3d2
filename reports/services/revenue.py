"""GET reports/revenue/: invoiced, collected and refunded per month (spec 9)."""

from collections import defaultdict

from django.db.models import F, Q
from django.db.models.functions import TruncMonth

from core.money import ZERO, quantize
from invoices.models import BOOKED_STATUSES, Invoice
from payments.cash import REFUND_ENTRIES, REFUND_ROWS, cash_sources
from reports.services.common import Converter, money, money_sum, zero_money

FIGURES = ("invoiced", "collected", "refunded")


def revenue(organization, *, date_from=None, date_to=None, convert_to=None):
    """One query: a UNION of three GROUP BYs (invoices by issue month, the cash of
    `payments.cash` by its month: payment rows and credit entries). `collected` = cash in
    less reversals (payments and receipts' or overpayments' credit, less reversals),
    `refunded` = refunds of invoices and of credit, as a positive amount. Only months with
    activity are listed.

    When converting, rows are grouped by the exact date instead of the month so each
    amount is converted at its own date's rate.
    """
    invoices = Invoice.objects.filter(organization=organization, status__in=BOOKED_STATUSES)
    if date_from:
        invoices = invoices.filter(issue_date__gte=date_from)
    if date_to:
        invoices = invoices.filter(issue_date__lte=date_to)

    def period(field):
        return F(field) if convert_to else TruncMonth(field)

    # Both halves select (currency, day, invoiced, collected, refunded) in that order.
    invoiced = (
        invoices.values("currency", day=period("issue_date"))
        .annotate(invoiced=money_sum("total"), collected=zero_money(), refunded=zero_money())
        .order_by()
    )
    received = []
    for (rows, field), refunds in zip(cash_sources(), (REFUND_ROWS, REFUND_ENTRIES), strict=True):
        rows = rows.filter(organization=organization)
        if date_from:
            rows = rows.filter(**{f"{field}__gte": date_from})
        if date_to:
            rows = rows.filter(**{f"{field}__lte": date_to})
        received.append(
            rows.values("currency", day=period(field))
            .annotate(
                invoiced=zero_money(),
                collected=money_sum("amount", filter=~Q(**refunds)),
                refunded=money_sum("amount", filter=Q(**refunds)),
            )
            .order_by()
        )
    rows = list(invoiced.union(*received, all=True))
    converter = Converter(organization, convert_to, rows, date_key="day")
    periods = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in rows:
        key = (converter.currency_of(row), row["day"].strftime("%Y-%m"))
        for figure in FIGURES:
            periods[key][figure] += converter.amount(row, figure)
    currencies = defaultdict(list)
    for (currency, month), figures in sorted(periods.items()):
        currencies[currency].append(
            {
                "period": month,
                "invoiced": money(figures["invoiced"], currency),
                "collected": money(figures["collected"], currency),
                # Refund rows are negative; the report shows money returned as positive.
                "refunded": money(-quantize(figures["refunded"], currency), currency),
            }
        )
    return {
        "interval": "month",
        "currencies": [
            {"currency": currency, "periods": items} for currency, items in currencies.items()
        ],
    }
