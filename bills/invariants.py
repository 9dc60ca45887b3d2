"""The ledger invariants of spec 19 for bills and their payments, as `verify_ledger` checks
them (with `payments.invariants` for invoices): the same rules as an invoice's.

Sums come from the database in one annotated query; comparisons run in Python on
`Decimal`s (SQLite sums decimals in floating point, so sums are brought back to the stored
scale first)."""

from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bills.models import (
    BOOKED_STATUSES,
    Bill,
    BillLine,
    BillPayment,
    BillPaymentKind,
    BillStatus,
    status_for_amount_paid,
)
from core.money import MONEY_SHAPE, ZERO, at_stored_scale, format_plain

DECIMAL = DecimalField(**MONEY_SHAPE)
LINE_FIGURES = ("amount", "discount_amount", "tax_amount", "total")


def _per_bill(queryset, aggregate, zero=ZERO):
    """A correlated aggregate per bill, `zero` when it has no rows."""
    rows = queryset.filter(bill=OuterRef("pk")).values("bill").annotate(v=aggregate)
    field = DECIMAL if isinstance(zero, Decimal) else None
    return Coalesce(Subquery(rows.values("v"), output_field=field), Value(zero))


def bill_violations(organization_ids):
    """Yield `(organization_id, subject, rule, detail)` for each broken rule; the last
    value yielded is never a violation but the counts `{"bills": n, "bill_payments": m}`."""
    counts = {"bills": 0, "bill_payments": 0}
    bills = (
        Bill.objects.filter(organization_id__in=organization_ids)
        .annotate(
            lines_subtotal=_per_bill(BillLine.objects, Sum("amount")),
            lines_discount=_per_bill(BillLine.objects, Sum("discount_amount")),
            lines_tax=_per_bill(BillLine.objects, Sum("tax_amount")),
            payments_sum=_per_bill(BillPayment.objects, Sum("amount")),
            payment_rows=_per_bill(BillPayment.objects, Count("pk"), zero=0),
        )
        .values(
            "pk", "organization_id", "number", "status", "minor_unit", "subtotal",
            "discount_total", "tax_total", "total", "amount_paid", "balance_due", "paid_at",
            "lines_subtotal", "lines_discount", "lines_tax", "payments_sum", "payment_rows",
        )
        .order_by("organization_id", "pk")
    )  # fmt: skip
    for row in bills.iterator(chunk_size=2000):
        counts["bills"] += 1
        yield from _bill_row_violations(row)
    yield from _line_violations(organization_ids)
    reversals = BillPayment.objects.filter(
        organization_id__in=organization_ids, kind=BillPaymentKind.REVERSAL
    ).select_related("reverses", "bill")
    for reversal in reversals.iterator(chunk_size=2000):
        original = reversal.reverses
        if original.bill_id != reversal.bill_id or original.amount != -reversal.amount:
            yield (
                reversal.organization_id,
                f"bill payment {reversal.pk}",
                "reversal_cancels_a_payment_of_its_bill",
                f"reverses payment {original.pk} of bill {original.bill_id}, "
                f"{original.amount} against {reversal.amount}",
            )
    counts["bill_payments"] = BillPayment.objects.filter(
        organization_id__in=organization_ids
    ).count()
    yield counts


def _bill_row_violations(row):
    subject = f"bill {row['number']} (id {row['pk']})"
    for key in ("lines_subtotal", "lines_discount", "lines_tax", "payments_sum"):
        row[key] = at_stored_scale(row[key])

    def money(value):
        return format_plain(value, row["minor_unit"])

    def violation(rule, detail):
        return (row["organization_id"], subject, rule, detail)

    for field, lines_field in (
        ("subtotal", "lines_subtotal"),
        ("discount_total", "lines_discount"),
        ("tax_total", "lines_tax"),
    ):
        if row[field] != row[lines_field]:
            yield violation(
                "totals_equal_sum_of_lines",
                f"{field} {money(row[field])} but its lines sum to {money(row[lines_field])}",
            )
    paid, total = row["amount_paid"], row["total"]
    if total != row["subtotal"] - row["discount_total"] + row["tax_total"]:
        yield violation("total_is_subtotal_minus_discount_plus_tax", f"total {money(total)}")
    if paid != row["payments_sum"]:
        yield violation(
            "amount_paid_equals_sum_of_payments",
            f"amount_paid {money(paid)} but its payments sum to {money(row['payments_sum'])}",
        )
    if not ZERO <= paid <= total:
        yield violation("amount_paid_within_total", f"{money(paid)} outside 0..{money(total)}")
    if row["balance_due"] != total - paid:
        yield violation(
            "balance_due_is_total_minus_amount_paid",
            f"balance_due {money(row['balance_due'])}, expected {money(total - paid)}",
        )
    status = row["status"]
    if status in BOOKED_STATUSES:
        expected = status_for_amount_paid(paid, total)
        if status != expected:
            yield violation("status_matches_amount_paid", f"status {status}, expected {expected}")
    elif row["payment_rows"]:
        yield violation("no_payments_on_draft_or_void", f"{status} with payment rows")
    if (status == BillStatus.PAID) != (row["paid_at"] is not None):
        yield violation("paid_at_set_iff_paid", f"status {status}, paid_at {row['paid_at']}")


def _line_violations(organization_ids):
    """Each stored line figure is what spec 5.2 computes from its inputs."""
    lines = BillLine.objects.filter(organization_id__in=organization_ids).select_related("bill")
    for line in lines.iterator(chunk_size=2000):
        expected = BillLine(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        expected.compute(line.bill.minor_unit)
        wrong = [name for name in LINE_FIGURES if getattr(line, name) != getattr(expected, name)]
        if wrong:
            yield (
                line.organization_id,
                f"bill {line.bill.number} (id {line.bill_id}) line {line.pk}",
                "line_figures_follow_5_2",
                f"{', '.join(wrong)} differ from the computed figures",
            )
