"""The ledger invariants of spec 14 for credit notes and write-offs, added to the ledger
check of spec 5 and 6 (`payments.invariants.LedgerCheck`, whose invoice rules already
hold each invoice's balance and status to spec 14's rule).

Sums come from the database; comparisons run in Python on `Decimal`s quantized to the
stored scale (SQLite sums decimals in binary floating point).
"""

from collections import defaultdict

from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.money import ZERO, at_stored_scale, format_plain
from credits.credit_invariants import CustomerCreditChecks
from credits.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteSequence,
    WriteOff,
    charged_by_rate,
    credit_overruns,
)
from invoices.exceptions import AmountTooLarge
from invoices.models import Invoice, InvoiceLine, InvoiceSequence
from payments.invariants import (
    DECIMAL,
    LINE_FIGURES,
    LedgerCheck,
    _ranges,
    series_faults,
)
from payments.models import Payment, PaymentKind

LINE_VALUES = ("tax_rate", "amount", "discount_amount", "tax_amount")


class CreditLedgerCheck(CustomerCreditChecks, LedgerCheck):
    """`LedgerCheck` plus credit notes (totals, lines, settlement, per-rate caps, numbering),
    the invoice's `credited_total` and `written_off_on` against their rows, and customer
    credit and receipts (`CustomerCreditChecks`)."""

    def __init__(self, organizations):
        super().__init__(organizations)
        self.credit_note_count = 0
        self.write_off_count = 0

    def run(self):
        super().run()
        self.check_credit_notes()
        self.check_credit_note_lines()
        self.check_credit_caps()
        self.check_credited_totals()
        self.check_write_offs()
        self.check_credit_note_numbering()
        self.check_customer_credit()
        return self.violations

    @staticmethod
    def _note_label(note):
        return f"credit note {note.number} (id {note.pk})"

    def check_credit_notes(self):
        def line_sum(field):
            total = (
                CreditNoteLine.objects.filter(credit_note=OuterRef("pk"))
                .values("credit_note")
                .annotate(s=Sum(field))
            )
            return Coalesce(Subquery(total.values("s"), output_field=DECIMAL), Value(ZERO))

        notes = (
            CreditNote.objects.filter(organization__in=self.organizations)
            .select_related("invoice", "refund_payment", "credit_entry")
            .annotate(
                lines_subtotal=line_sum("amount"),
                lines_discount=line_sum("discount_amount"),
                lines_tax=line_sum("tax_amount"),
            )
            .order_by("pk")
        )
        for note in notes.iterator(chunk_size=2000):
            self.credit_note_count += 1
            self.check_credit_note(note)

    def check_credit_note(self, note):
        def report(rule, detail):
            self._report(note.organization_id, self._note_label(note), rule, detail)

        def money(value):
            return format_plain(value, note.minor_unit)

        for field, lines_field in (
            ("subtotal", "lines_subtotal"),
            ("discount_total", "lines_discount"),
            ("tax_total", "lines_tax"),
        ):
            summed = at_stored_scale(getattr(note, lines_field))
            if getattr(note, field) != summed:
                report(
                    "credit_note_totals_equal_sum_of_lines",
                    f"{field} {money(getattr(note, field))} but its lines sum to {money(summed)}",
                )
        expected_total = note.subtotal - note.discount_total + note.tax_total
        if note.total != expected_total:
            report(
                "credit_note_total_is_subtotal_minus_discount_plus_tax",
                f"total {money(note.total)}, expected {money(expected_total)}",
            )
        settled = note.credited_to_invoice + note.credited_to_balance + note.refunded
        if note.total != settled:
            report(
                "credit_note_settled_in_full",
                f"total {money(note.total)}: {money(note.credited_to_invoice)} on the invoice, "
                f"{money(note.refunded)} refunded, {money(note.credited_to_balance)} to credit",
            )
        entry = note.credit_entry
        if (note.credited_to_balance != 0 or entry is not None) and (
            entry is None
            or entry.kind != "credit_note"
            or entry.customer_id != note.customer_id
            or entry.currency != note.currency
            or entry.amount != note.credited_to_balance
        ):
            report(
                "credit_note_credit_entry_matches",
                f"{money(note.credited_to_balance)} to credit but its credit entry is "
                f"{'missing' if entry is None else f'{entry.kind} {money(entry.amount)}'}",
            )
        refund = note.refund_payment
        if (note.refunded != 0 or refund is not None) and (
            refund is None
            or refund.kind != PaymentKind.REFUND
            or refund.invoice_id != note.invoice_id
            or refund.amount != -note.refunded
        ):
            report(
                "credit_note_refund_matches_its_row",
                f"refunded {money(note.refunded)}, refund row "
                + (f"{refund.pk} {refund.kind} {refund.amount}" if refund else "missing"),
            )
        invoice = note.invoice
        if (
            note.organization_id,
            note.customer_id,
            note.currency,
            note.minor_unit,
        ) != (invoice.organization_id, invoice.customer_id, invoice.currency, invoice.minor_unit):
            report(
                "credit_note_matches_invoice",
                f"{note.currency}/{note.minor_unit}/customer {note.customer_id}/org "
                f"{note.organization_id}, invoice {invoice.currency}/{invoice.minor_unit}/"
                f"customer {invoice.customer_id}/org {invoice.organization_id}",
            )

    def check_credit_note_lines(self):
        lines = (
            CreditNoteLine.objects.filter(credit_note__organization__in=self.organizations)
            .select_related("credit_note")
            .order_by("pk")
        )
        for line in lines.iterator(chunk_size=2000):
            note = line.credit_note
            expected = InvoiceLine(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            try:
                expected.compute(note.minor_unit)
            except AmountTooLarge:
                expected = None
            wrong = [
                f"{field} {getattr(line, field)} (expected {getattr(expected, field)})"
                for field in LINE_FIGURES
                if expected is None or getattr(line, field) != getattr(expected, field)
            ]
            if wrong:
                self._report(
                    note.organization_id,
                    f"{self._note_label(note)} line {line.pk}",
                    "credit_note_line_figures_per_spec_5_2",
                    ", ".join(wrong),
                )

    def check_credit_caps(self):
        """Per invoice and tax rate, its credit notes stay within what it charged."""
        credited = defaultdict(list)
        for row in CreditNoteLine.objects.filter(
            credit_note__organization__in=self.organizations
        ).values("credit_note__invoice_id", *LINE_VALUES):
            credited[row.pop("credit_note__invoice_id")].append(row)
        charged = defaultdict(list)
        for row in InvoiceLine.objects.filter(invoice_id__in=list(credited)).values(
            "invoice_id", *LINE_VALUES
        ):
            charged[row.pop("invoice_id")].append(row)
        invoices = Invoice.objects.filter(pk__in=list(credited)).values_list(
            "pk", "organization_id", "number"
        )
        for pk, organization_id, number in invoices:
            overruns = credit_overruns(charged_by_rate(charged[pk]), charged_by_rate(credited[pk]))
            if overruns:
                self._report(
                    organization_id,
                    self._invoice_label(number, pk),
                    "credit_notes_within_invoice_per_rate",
                    "; ".join(overruns),
                )

    def check_credited_totals(self):
        sums = (
            CreditNote.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(s=Sum(F("credited_to_invoice") + F("refunded")))
        )
        invoices = (
            Invoice.objects.filter(organization__in=self.organizations)
            .annotate(
                notes_sum=Coalesce(Subquery(sums.values("s"), output_field=DECIMAL), Value(ZERO))
            )
            .values_list(
                "pk", "organization_id", "number", "minor_unit", "credited_total", "notes_sum"
            )
            .order_by("pk")
        )
        for pk, organization_id, number, minor_unit, credited, notes_sum in invoices.iterator(
            chunk_size=2000
        ):
            if credited != at_stored_scale(notes_sum):
                self._report(
                    organization_id,
                    self._invoice_label(number, pk),
                    "credited_total_equals_credit_notes",
                    f"credited_total {format_plain(credited, minor_unit)} but its credit notes "
                    f"settle {format_plain(at_stored_scale(notes_sum), minor_unit)}",
                )

    def check_write_offs(self):
        """An invoice is written off (`written_off_on`) exactly when it has its write-off
        row, on that row's date, for an amount in its currency."""
        rows = {
            row.invoice_id: row
            for row in WriteOff.objects.filter(organization__in=self.organizations)
        }
        self.write_off_count = len(rows)
        invoices = Invoice.objects.filter(organization__in=self.organizations).filter(
            pk__in=list(rows)
        ) | Invoice.objects.filter(
            organization__in=self.organizations, written_off_on__isnull=False
        )
        strays = (
            Payment.objects.filter(organization__in=self.organizations, recovery=True)
            .filter(invoice__written_off_on__isnull=True)
            .select_related("invoice")
        )
        for payment in strays:
            self._report(
                payment.organization_id,
                self._payment_label(payment),
                "recoveries_only_on_written_off_invoices",
                "a recovery on an invoice that was never written off",
            )
        for invoice in invoices.distinct().order_by("pk"):
            row = rows.get(invoice.pk)
            if (
                row is None
                or row.written_off_on != invoice.written_off_on
                or row.currency != invoice.currency
                or row.organization_id != invoice.organization_id
            ):
                self._report(
                    invoice.organization_id,
                    self._invoice_label(invoice.number, invoice.pk),
                    "written_off_on_matches_write_off",
                    f"written_off_on {invoice.written_off_on}, write-off "
                    + (f"{row.pk} on {row.written_off_on} in {row.currency}" if row else "none"),
                )

    def check_credit_note_numbering(self):
        """Per organization, credit-note numbers 1..last_number each used exactly once."""
        last_numbers = dict(
            CreditNoteSequence.objects.filter(organization__in=self.organizations).values_list(
                "organization_id", "last_number"
            )
        )
        used = defaultdict(lambda: defaultdict(list))
        numbered = (
            CreditNote.objects.filter(organization__in=self.organizations)
            .values_list("organization_id", "pk", "number")
            .order_by("organization_id", "pk")
        )
        for organization_id, pk, number in numbered.iterator(chunk_size=5000):
            match = InvoiceSequence.NUMBER_PATTERN.match(number)
            if match is None:
                self._report(
                    organization_id,
                    f"credit note {number} (id {pk})",
                    "credit_note_number_format",
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
                    "credit note numbering",
                    "credit_note_numbers_gapless",
                    f"sequence is at {last} but number(s) {_ranges(missing)} are unused",
                )
            if beyond:
                self._report(
                    organization_id,
                    "credit note numbering",
                    "credit_note_numbers_within_sequence",
                    f"number(s) {_ranges(beyond)} beyond the sequence's last number {last}",
                )
            for sequence, names in repeated:
                self._report(
                    organization_id,
                    "credit note numbering",
                    "credit_note_numbers_unique",
                    f"sequence {sequence} used {len(names)} times: {', '.join(names)}",
                )
