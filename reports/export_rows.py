"""Reports as export rows. The header row is the JSON field names; a nested object's
fields are `parent.child` (summary `counts.draft`), and each nested list becomes rows:

- summary: one row per currency;
- aging: one row per (currency, customer) with `as_of`; the per-currency `totals` are
  left out, so a column's sum in the sheet equals the JSON's total;
- revenue: one row per (currency, period);
- tax: one row per (currency, category, rate) with the `basis`;
- statement: an `opening_balance` row, one row per line, a `closing_balance` row (the
  two balance rows carry `balance` only, so the `amount` column sums to the movement).
"""

from api.exports import Column, export_response
from invoices.models import InvoiceStatus
from reports.services.aging import COLUMNS as AGING_COLUMNS


def _summary(report):
    columns = [
        Column("currency"),
        *(Column(f"counts.{status}", "integer") for status in InvoiceStatus.values),
        Column("invoiced", "money"),
        Column("collected", "money"),
        Column("outstanding", "money"),
        Column("overdue_count", "integer"),
        Column("overdue_amount", "money"),
        Column("credited", "money"),
        Column("written_off", "money"),
        Column("recovered", "money"),
    ]
    rows = [
        {**item, **{f"counts.{status}": count for status, count in item["counts"].items()}}
        for item in report["currencies"]
    ]
    return columns, rows


def _aging(report):
    columns = [
        Column("as_of", "date"),
        Column("currency"),
        Column("customer", "integer"),
        Column("customer_name"),
        *(Column(name, "money") for name in AGING_COLUMNS),
    ]
    rows = [
        {"as_of": report["as_of"], "currency": item["currency"], **customer}
        for item in report["currencies"]
        for customer in item["customers"]
    ]
    return columns, rows


def _revenue(report):
    columns = [
        Column("currency"),
        Column("period"),
        Column("invoiced", "money"),
        Column("collected", "money"),
        Column("refunded", "money"),
    ]
    rows = [
        {"currency": item["currency"], **period}
        for item in report["currencies"]
        for period in item["periods"]
    ]
    return columns, rows


def _statement(report):
    columns = [
        Column("date", "date"),
        Column("type"),
        Column("number"),
        Column("reference"),
        Column("amount", "money"),
        Column("balance", "money"),
    ]
    currency = report["currency"]
    opening = {"date": report["from"], "type": "opening_balance"}
    closing = {"date": report["to"], "type": "closing_balance"}
    rows = [
        {**opening, "balance": report["opening_balance"], "currency": currency},
        *({**line, "currency": currency} for line in report["lines"]),
        {**closing, "balance": report["closing_balance"], "currency": currency},
    ]
    return columns, rows


def _payables(report):
    columns = [
        Column("as_of", "date"),
        Column("currency"),
        Column("vendor", "integer"),
        Column("vendor_name"),
        *(Column(name, "money") for name in AGING_COLUMNS),
    ]
    rows = [
        {"as_of": report["as_of"], "currency": item["currency"], **vendor}
        for item in report["currencies"]
        for vendor in item["vendors"]
    ]
    return columns, rows


def _dashboard(report):
    """One row per month of the trend (the totals are the column sums)."""
    columns = [
        Column("period"),
        Column("income", "money"),
        Column("expenses", "money"),
        Column("net", "money"),
    ]
    rows = [{**month, "currency": report["currency"]} for month in report["trend"]]
    return columns, rows


def _tax(report):
    """One row per (currency, category, rate); the per-currency totals are the column
    sums."""
    columns = [
        Column("basis"),
        Column("currency"),
        Column("category"),
        Column("rate"),
        Column("taxable", "money"),
        Column("tax", "money"),
    ]
    rows = [
        {"basis": report["basis"], "currency": item["currency"], **rate}
        for item in report["currencies"]
        for rate in item["rates"]
    ]
    return columns, rows


BUILDERS = {
    "summary": _summary,
    "aging": _aging,
    "revenue": _revenue,
    "statement": _statement,
    "payables": _payables,
    "dashboard": _dashboard,
    "tax": _tax,
}


def for_report(name, report):
    return BUILDERS[name](report)


def response(export_format, columns, rows, filename, title):
    return export_response(export_format, columns, rows, filename, title=title)
