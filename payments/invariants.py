"""The ledger invariants of spec 5 and 6, checked against what is stored.

Sums are computed by the database (one annotated query for all invoices); the comparisons
run in Python on `Decimal`s because SQLite does decimal arithmetic in binary floating
point (0.1 + 0.2 != 0.3 there), which would report phantom violations.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bills.invariants import bill_violations
from core.money import MONEY_SHAPE, ZERO, at_stored_scale, format_plain
from invoices.exceptions import AmountTooLarge
from invoices.models import (
    BOOKED_STATUSES,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    settled_figures,
)
from payments.models import REVERSIBLE_KINDS, Payment, PaymentKind

DECIMAL = DecimalField(**MONEY_SHAPE)
LINE_FIGURES = ("amount", "discount_amount", "tax_amount", "total")


@dataclass(frozen=True)
class Violation:
    organization: str
    subject: str
    rule: str
    detail: str

    def __str__(self):
        return f"{self.organization}: {self.subject}: [{self.rule}] {self.detail}"


def _sum_of(queryset, field):
    """A correlated `SUM(field)` per invoice, 0 when it has no rows."""
    total = queryset.filter(invoice=OuterRef("pk")).values("invoice").annotate(s=Sum(field))
    return Coalesce(Subquery(total.values("s"), output_field=DECIMAL), Value(ZERO))


def _count_of(queryset):
    count = queryset.filter(invoice=OuterRef("pk")).values("invoice").annotate(c=Count("pk"))
    return Coalesce(Subquery(count.values("c")), Value(0))


class LedgerCheck:
    """Collects every violation for the given organizations (a queryset)."""

    def __init__(self, organizations):
        self.organizations = {org.pk: org for org in organizations}
        self.violations: list[Violation] = []
        self.invoice_count = 0
        self.payment_count = 0
        self.bill_count = 0
        self.bill_payment_count = 0

    def run(self) -> list[Violation]:
        self.check_invoices()
        self.check_lines()
        self.check_payments()
        self.check_numbering()
        self.check_bills()
        return self.violations

    # --- helpers ------------------------------------------------------------------------

    def _org(self, organization_id):
        org = self.organizations[organization_id]
        return f'organization {org.pk} "{org.name}"'

    def _report(self, organization_id, subject, rule, detail):
        self.violations.append(Violation(self._org(organization_id), subject, rule, detail))

    @staticmethod
    def _invoice_label(number, pk):
        return f"invoice {number} (id {pk})" if number else f"invoice draft (id {pk})"

    # --- rules --------------------------------------------------------------------------

    def check_bills(self):
        """Bills and their payments follow the same rules (spec 19; `bills.invariants`)."""
        for item in bill_violations(list(self.organizations)):
            if isinstance(item, dict):
                self.bill_count, self.bill_payment_count = item["bills"], item["bill_payments"]
            else:
                self._report(*item)

    def check_invoices(self):
        invoices = (
            Invoice.objects.filter(organization__in=self.organizations)
            .annotate(
                lines_subtotal=_sum_of(InvoiceLine.objects, "amount"),
                lines_discount=_sum_of(InvoiceLine.objects, "discount_amount"),
                lines_tax=_sum_of(InvoiceLine.objects, "tax_amount"),
                payments_sum=_sum_of(Payment.objects, "amount"),
                payment_rows=_count_of(Payment.objects),
            )
            .values(
                "pk", "organization_id", "number", "status", "minor_unit", "subtotal",
                "discount_total", "tax_total", "total", "amount_paid", "balance_due",
                "credited_total", "written_off_total", "written_off_on", "paid_at",
                "lines_subtotal", "lines_discount", "lines_tax",
                "payments_sum", "payment_rows",
            )
            .order_by("organization_id", "pk")
        )  # fmt: skip
        for row in invoices.iterator(chunk_size=2000):
            self.invoice_count += 1
            self.check_invoice(row)

    def check_invoice(self, row):
        subject = self._invoice_label(row["number"], row["pk"])
        # SQLite sums decimals in binary floating point (0.003 * 3 - 0.009 is not 0 there):
        # back to the stored scale, the sums are exact again.
        for key in ("lines_subtotal", "lines_discount", "lines_tax", "payments_sum"):
            row[key] = at_stored_scale(row[key])

        def report(rule, detail):
            self._report(row["organization_id"], subject, rule, detail)

        def money(value):
            return format_plain(value, row["minor_unit"])

        for field, lines_field in (
            ("subtotal", "lines_subtotal"),
            ("discount_total", "lines_discount"),
            ("tax_total", "lines_tax"),
        ):
            if row[field] != row[lines_field]:
                report(
                    "totals_equal_sum_of_lines",
                    f"{field} {money(row[field])} but its lines sum to {money(row[lines_field])}",
                )
        expected_total = row["subtotal"] - row["discount_total"] + row["tax_total"]
        if row["total"] != expected_total:
            report(
                "total_is_subtotal_minus_discount_plus_tax",
                f"total {money(row['total'])}, expected {money(expected_total)}",
            )
        paid, total = row["amount_paid"], row["total"]
        if paid != row["payments_sum"]:
            report(
                "amount_paid_equals_sum_of_payments",
                f"amount_paid {money(paid)} but its payments sum to {money(row['payments_sum'])}",
            )
        if not ZERO <= paid <= total:
            report(
                "amount_paid_within_total",
                f"amount_paid {money(paid)} outside 0..{money(total)}",
            )
        credited, written_off = row["credited_total"], row["written_off_total"]
        expected_balance = total - paid - credited - written_off
        if row["balance_due"] != expected_balance:
            report(
                "balance_due_is_total_minus_paid_credited_and_written_off",
                f"balance_due {money(row['balance_due'])}, expected {money(expected_balance)}",
            )
        if min(row["balance_due"], credited, written_off) < 0:
            report(
                "settlements_non_negative",
                f"balance_due {money(row['balance_due'])}, credited_total {money(credited)}, "
                f"written_off_total {money(written_off)}",
            )
        self.check_status(row, report, money)

    def check_status(self, row, report, money):
        status, paid, total = row["status"], row["amount_paid"], row["total"]
        if status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            if row["payment_rows"]:
                report(
                    "no_payments_on_draft_or_void", f"{status} with {row['payment_rows']} row(s)"
                )
        else:
            # Spec 14's rule (`settled_figures`), which spec 5.3's is the special case of.
            expected_written_off, _, expected = settled_figures(
                total=total,
                amount_paid=paid,
                credited_total=row["credited_total"],
                written_off=row["written_off_on"] is not None,
            )
            if status != expected:
                report(
                    "status_matches_amount_paid",
                    f"status {status} with amount_paid {money(paid)}, credited "
                    f"{money(row['credited_total'])}, written off "
                    f"{money(row['written_off_total'])} of {money(total)} (expected {expected})",
                )
            if row["written_off_total"] != expected_written_off:
                report(
                    "written_off_total_is_what_is_still_claimed",
                    f"written_off_total {money(row['written_off_total'])}, expected "
                    f"{money(expected_written_off)} (written off on {row['written_off_on']})",
                )
        if (status == InvoiceStatus.PAID) != (row["paid_at"] is not None):
            report("paid_at_set_iff_paid", f"status {status}, paid_at {row['paid_at']}")
        if status == InvoiceStatus.DRAFT and row["number"]:
            report("draft_has_no_number", f"draft numbered {row['number']}")
        if status in BOOKED_STATUSES and not row["number"]:
            report("sent_invoice_has_number", f"status {status} without a number")

    def check_lines(self):
        """Each stored line figure is what spec 5.2 computes from its inputs."""
        lines = (
            InvoiceLine.objects.filter(invoice__organization__in=self.organizations)
            .select_related("invoice")
            .only(
                "pk", "quantity", "unit_price", "discount_percent", "tax_rate", *LINE_FIGURES,
                "invoice__id", "invoice__number", "invoice__minor_unit",
                "invoice__organization_id",
            )
            .order_by("pk")
        )  # fmt: skip
        for line in lines.iterator(chunk_size=2000):
            invoice = line.invoice
            expected = InvoiceLine(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            try:
                expected.compute(invoice.minor_unit)
            except AmountTooLarge:
                expected = None
            wrong = [
                f"{field} {getattr(line, field)} (expected {getattr(expected, field)})"
                for field in LINE_FIGURES
                if expected is None or getattr(line, field) != getattr(expected, field)
            ]
            if wrong:
                self._report(
                    invoice.organization_id,
                    f"{self._invoice_label(invoice.number, invoice.pk)} line {line.pk}",
                    "line_figures_per_spec_5_2",
                    ", ".join(wrong),
                )

    def check_payments(self):
        payments = Payment.objects.filter(organization__in=self.organizations)
        self.payment_count = payments.count()
        mismatched = payments.exclude(currency=F("invoice__currency")) | payments.exclude(
            organization_id=F("invoice__organization_id")
        )
        for payment in mismatched.select_related("invoice").distinct():
            self._report(
                payment.invoice.organization_id,
                self._payment_label(payment),
                "payment_matches_invoice",
                f"payment {payment.currency}/org {payment.organization_id}, invoice "
                f"{payment.invoice.currency}/org {payment.invoice.organization_id}",
            )
        reversals = payments.filter(kind=PaymentKind.REVERSAL).select_related("invoice", "reverses")
        for reversal in reversals.iterator(chunk_size=2000):
            original = reversal.reverses
            if (
                original is None
                or original.kind not in REVERSIBLE_KINDS
                or original.invoice_id != reversal.invoice_id
                or original.amount != -reversal.amount
            ):
                self._report(
                    reversal.organization_id,
                    self._payment_label(reversal),
                    "reversal_cancels_a_payment_of_the_same_invoice",
                    f"amount {reversal.amount} reverses "
                    + (
                        f"{original.kind} {original.pk} of invoice id {original.invoice_id} "
                        f"amount {original.amount}"
                        if original
                        else "nothing"
                    ),
                )

    def _payment_label(self, payment):
        invoice = payment.invoice
        return f"{self._invoice_label(invoice.number, invoice.pk)} {payment.kind} {payment.pk}"

    def check_numbering(self):
        """Per organization, numbers 1..last_number are each used exactly once.

        The prefix is the part before the last dash; an organization may change its prefix
        over time, so the series is the numeric part, continuing across prefixes.
        """
        last_numbers = dict(
            InvoiceSequence.objects.filter(organization__in=self.organizations).values_list(
                "organization_id", "last_number"
            )
        )
        used = defaultdict(lambda: defaultdict(list))
        numbered = (
            Invoice.objects.filter(organization__in=self.organizations, number__isnull=False)
            .values_list("organization_id", "pk", "number")
            .order_by("organization_id", "pk")
        )
        for organization_id, pk, number in numbered.iterator(chunk_size=5000):
            match = InvoiceSequence.NUMBER_PATTERN.match(number)
            if match is None:
                self._report(
                    organization_id,
                    self._invoice_label(number, pk),
                    "number_format",
                    f"{number!r} is not <prefix>-<5+ digits>",
                )
                continue
            used[organization_id][int(match["sequence"])].append(number)
        for organization_id in self.organizations:
            last = last_numbers.get(organization_id, 0)
            missing, beyond, repeated = series_faults(last, used[organization_id])
            if missing:
                self._report(
                    organization_id,
                    "invoice numbering",
                    "numbers_gapless",
                    f"sequence is at {last} but number(s) {_ranges(missing)} are unused",
                )
            if beyond:
                self._report(
                    organization_id,
                    "invoice numbering",
                    "numbers_within_sequence",
                    f"number(s) {_ranges(beyond)} beyond the sequence's last number {last}",
                )
            for sequence, names in repeated:
                self._report(
                    organization_id,
                    "invoice numbering",
                    "numbers_unique",
                    f"sequence {sequence} used {len(names)} times: {', '.join(names)}",
                )


def series_faults(last, numbers):
    """A gapless series' faults: `numbers` maps each sequence number used to the document
    numbers using it; `last` is the sequence row's last number. Returns the unused numbers
    of 1..last, the used ones outside it, and (sequence, names) used more than once."""
    missing = [n for n in range(1, last + 1) if n not in numbers]
    beyond = sorted(n for n in numbers if n > last or n < 1)
    repeated = [(sequence, names) for sequence, names in sorted(numbers.items()) if len(names) > 1]
    return missing, beyond, repeated


def _ranges(numbers):
    """[1, 2, 3, 7] -> "1-3, 7": a long gap stays one readable line."""
    parts, start, previous = [], None, None
    for number in numbers:
        if start is None:
            start = previous = number
        elif number == previous + 1:
            previous = number
        else:
            parts.append(f"{start}-{previous}" if start != previous else str(start))
            start = previous = number
    if start is not None:
        parts.append(f"{start}-{previous}" if start != previous else str(start))
    return ", ".join(parts)
