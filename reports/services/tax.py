"""GET reports/tax/: tax per currency, VAT category and rate, on accrual or cash basis
(spec 18).

- Accrual: the lines of booked invoices by their invoice's issue date, minus the lines of
  credit notes by their `issued_on` (credit notes are netted at their own rates).
- Cash: per invoice, the cash received for it in the period — its payment rows (payments
  +, refunds and reversals -, credit applied to it +; section 9 and 14) by `received_on`,
  minus the part of its credit notes that went to the customer's credit, by `issued_on` —
  split across the invoice's categories and rates in proportion to its own figures: at a
  rate whose lines carry `taxable` and `tax` out of the invoice's `total`, the cash `c`
  counts `round(c x taxable / total)` taxable and `round(c x tax / total)` tax, rounded
  half-up per invoice and rate in the invoice's stored minor unit.

Write-offs reduce no tax (no bad-debt relief in this version). Two queries on accrual
basis, three on cash.
"""

from collections import defaultdict
from decimal import localcontext

from django.db.models import DecimalField as DecimalOutput
from django.db.models import F, Sum

from core.documents import EXACT_PRECISION
from core.money import MONEY_SHAPE, MONEY_STEP, ZERO, format_plain, quantize
from credits.models import CreditNote, CreditNoteLine
from invoices.models import BOOKED_STATUSES, InvoiceLine
from invoices.tax import ORDER
from payments.models import Payment
from reports.services.common import money_sum

ACCRUAL = "accrual"
CASH = "cash"
BASES = (ACCRUAL, CASH)
# Payment rows that move money for an invoice: cash in and out (section 9) and credit
# applied to it (section 14's `credit` rows), all signed as stored.
INVOICE_CASH_KINDS = ("payment", "refund", "reversal", "credit")
MONEY = DecimalOutput(**MONEY_SHAPE)


def _in_period(queryset, field, date_from, date_to):
    if date_from:
        queryset = queryset.filter(**{f"{field}__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{field}__lte": date_to})
    return queryset


def _line_sums(lines, sign):
    """(currency, category, rate, taxable, tax) per group of `lines`, times `sign`."""
    groups = (
        lines.values("tax_category", "tax_rate", doc_currency=F("currency"))
        .annotate(
            taxable=money_sum(F("amount") - F("discount_amount")), tax=money_sum("tax_amount")
        )
        .order_by()
    )
    for row in groups:
        yield (
            row["doc_currency"],
            row["tax_category"],
            row["tax_rate"],
            sign * row["taxable"],
            sign * row["tax"],
        )


def accrual_rows(organization, date_from, date_to):
    invoices = _in_period(
        InvoiceLine.objects.filter(organization=organization, invoice__status__in=BOOKED_STATUSES),
        "invoice__issue_date",
        date_from,
        date_to,
    ).annotate(currency=F("invoice__currency"))
    notes = _in_period(
        CreditNoteLine.objects.filter(organization=organization),
        "credit_note__issued_on",
        date_from,
        date_to,
    ).annotate(currency=F("credit_note__currency"))
    yield from _line_sums(invoices, 1)
    yield from _line_sums(notes, -1)


def cash_rows(organization, date_from, date_to):
    payments = _in_period(
        Payment.objects.filter(
            organization=organization,
            kind__in=INVOICE_CASH_KINDS,
            invoice__status__in=BOOKED_STATUSES,
        ),
        "received_on",
        date_from,
        date_to,
    )
    to_credit = _in_period(
        CreditNote.objects.filter(organization=organization, credited_to_balance__gt=0),
        "issued_on",
        date_from,
        date_to,
    )
    by_invoice = defaultdict(lambda: ZERO)
    for row in payments.values("invoice_id").annotate(cash=money_sum("amount")).order_by():
        by_invoice[row["invoice_id"]] += row["cash"]
    for row in (
        to_credit.values("invoice_id").annotate(cash=money_sum("credited_to_balance")).order_by()
    ):
        by_invoice[row["invoice_id"]] -= row["cash"]
    by_invoice = {invoice: amount for invoice, amount in by_invoice.items() if amount}
    if not by_invoice:
        return
    groups = (
        InvoiceLine.objects.filter(invoice_id__in=list(by_invoice))
        .values(
            "invoice_id",
            "tax_category",
            "tax_rate",
            currency=F("invoice__currency"),
            minor=F("invoice__minor_unit"),
            invoice_total=F("invoice__total"),
        )
        .annotate(
            taxable=Sum(F("amount") - F("discount_amount"), output_field=MONEY),
            tax=Sum("tax_amount", output_field=MONEY),
        )
        .order_by()
    )
    with localcontext() as context:
        context.prec = EXACT_PRECISION
        for group in groups:
            total = group["invoice_total"]
            if not total:
                continue
            share = by_invoice[group["invoice_id"]]
            yield (
                group["currency"],
                group["tax_category"],
                group["tax_rate"],
                quantize(share * group["taxable"] / total, group["minor"]),
                quantize(share * group["tax"] / total, group["minor"]),
            )


def tax_report(organization, *, basis=ACCRUAL, date_from=None, date_to=None):
    rows = (accrual_rows if basis == ACCRUAL else cash_rows)(organization, date_from, date_to)
    sums = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
    for currency, category, rate, taxable, tax in rows:
        figures = sums[currency][(category, rate.normalize())]
        figures[0] += taxable
        figures[1] += tax
    currencies = []
    for currency, groups in sorted(sums.items()):
        rates = []
        totals = [ZERO, ZERO]
        for (category, rate), (taxable, tax) in sorted(
            groups.items(), key=lambda item: (ORDER.get(item[0][0], 99), item[0][1])
        ):
            rates.append(
                {
                    "category": category,
                    "rate": f"{rate.quantize(MONEY_STEP):f}",
                    "taxable": format_plain(taxable, currency),
                    "tax": format_plain(tax, currency),
                }
            )
            totals[0] += taxable
            totals[1] += tax
        currencies.append(
            {
                "currency": currency,
                "rates": rates,
                "totals": {
                    "taxable": format_plain(totals[0], currency),
                    "tax": format_plain(totals[1], currency),
                },
            }
        )
    return {"basis": basis, "currencies": currencies}
