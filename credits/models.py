"""Credit notes and write-offs (spec 14): the two ways an issued invoice is corrected or
closed. Both are immutable rows; the invoice's figures follow from them through
`Invoice.apply_payments`, the one place an invoice's settlement is computed.

This app sits above `payments` (a credit note's rest may be refunded by a refund row);
`invoices` never imports it and reads its rows through the reverse relations
`invoice.credit_notes` and `invoice.write_offs`.
"""

from collections import defaultdict

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Round
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.documents import InvalidLine, line_constraints, set_document_totals
from core.events import log_event
from core.locking import lock
from core.money import MONEY_PLACES, MONEY_SHAPE, ZERO, format_plain
from core.outbox import emit
from core.transactions import atomic_step
from credits.exceptions import (
    CreditExceedsInvoice,
    CreditNoteEmpty,
    DocumentImmutable,
)
from credits.payloads import credit_note_payload
from customers.models import Customer
from invoices.models import Invoice, InvoiceLine, InvoiceSequence
from invoices.tax import TaxedLine
from payments.credit import CreditEntry, CreditKind, credit_customer
from payments.models import Payment, cash_paid

MONEY = {**MONEY_SHAPE, "default": ZERO}
MAX_LINES = 500


class ImmutableQuerySet(models.QuerySet):
    """Bulk writes would bypass the rows' immutability and the history trail."""

    def update(self, **kwargs):
        raise DocumentImmutable()

    def delete(self):
        raise DocumentImmutable()


class ImmutableRow(models.Model):
    """Inserted once, never changed: a mistake is corrected by a new document."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DocumentImmutable()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentImmutable()


def charged_by_rate(lines):
    """{tax_rate: (net, tax)} of computed lines: what is charged (or credited) at each rate.
    `lines` are instances or dicts with `tax_rate`, `amount`, `discount_amount`,
    `tax_amount`."""
    figures = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        get = line.get if isinstance(line, dict) else line.__getattribute__
        # Normalized, so 10 and 10.0000 are one rate.
        rate = get("tax_rate").normalize()
        figures[rate][0] += get("amount") - get("discount_amount")
        figures[rate][1] += get("tax_amount")
    return {rate: tuple(values) for rate, values in figures.items()}


def credit_overruns(charged, credited):
    """The rates at which `credited` exceeds `charged` (both from `charged_by_rate`), as
    readable strings; empty when the credit notes stay within the invoice."""
    overruns = []
    for rate, (net, tax) in sorted(credited.items()):
        if rate not in charged:
            overruns.append(f"{rate:f}% is not a rate of the invoice")
            continue
        charged_net, charged_tax = charged[rate]
        if net > charged_net or tax > charged_tax:
            overruns.append(
                f"{rate:f}%: net {net:f} and tax {tax:f} credited, {charged_net:f} and "
                f"{charged_tax:f} charged"
            )
    return overruns


class CreditNote(ImmutableRow):
    """A correction of an issued invoice, numbered in its own gapless series.

    Its total settles, in this order: what the invoice still claims (`credited_to_invoice`:
    its balance due, or on an uncollectible invoice its `written_off_total`), then a refund
    of the invoice's cash when asked (`refunded`, with its refund row `refund_payment`);
    the rest is put on the customer's credit (`credited_to_balance`, with its
    `credit_note` entry `credit_entry`).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credit_notes"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=32)
    currency = models.CharField(max_length=3)
    # The invoice's stored minor unit: figures and verify_ledger use it (spec 3).
    minor_unit = models.PositiveSmallIntegerField()
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    credited_to_invoice = models.DecimalField(**MONEY)
    credited_to_balance = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    refund_payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    # The customer-credit entry of `credited_to_balance` (the ledger lives below this app,
    # so the note names its entry; the entry's `credit_note` is this reverse side).
    credit_entry = models.OneToOneField(
        CreditEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    # Issued on an uncollectible invoice: its `credited_to_invoice` came out of what was
    # written off, not out of a balance the customer owed (statements show it as a
    # recovery line, as they do a payment on such an invoice).
    against_write_off = models.BooleanField(default=False)
    reason = models.CharField(max_length=500)
    issued_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "issued_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="credit_note_number_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(
                    total__gt=0,
                    credited_to_invoice__gte=0,
                    credited_to_balance__gte=0,
                    refunded__gte=0,
                ),
                name="credit_note_amounts_non_negative",
            ),
            # Rounded to the stored scale: SQLite adds decimals in binary floating point
            # (0.10 + 0.20 != 0.30 there), and with customer credit a note is often split.
            models.CheckConstraint(
                condition=Q(
                    total=Round(
                        F("credited_to_invoice") + F("credited_to_balance") + F("refunded"),
                        MONEY_PLACES,
                    )
                ),
                name="credit_note_total_is_settled_in_full",
            ),
        ]

    def __str__(self):
        return self.number

    @classmethod
    def issue(cls, invoice, *, lines, reason, actor, refund=False, expected_version=None):
        """Issue a credit note against `invoice` (spec 14). Returns the saved note; the
        invoice is recomputed in the same transaction."""
        with atomic_step():
            # Lock order (core.locking): the invoice, then the credit-note sequence.
            # Every check reads the locked invoice, so notes and payments on it queue here.
            invoice = invoice.lock(expected_version=expected_version)
            invoice.ensure_can("credit")
            note = cls(
                organization_id=invoice.organization_id,
                invoice=invoice,
                customer_id=invoice.customer_id,
                currency=invoice.currency,
                minor_unit=invoice.minor_unit,
                reason=reason,
                created_by=actor,
            )
            built = note._build_lines(lines)
            set_document_totals(note, built)
            if note.total <= 0:
                raise CreditNoteEmpty(attr="lines")
            note._check_caps(invoice, built)
            # What the invoice still claims: its balance due, or what was written off.
            claim = invoice.balance_due + invoice.written_off_total
            note.credited_to_invoice = min(note.total, claim)
            rest = note.total - note.credited_to_invoice
            # A refund returns cash only: credit applied to the invoice is no cash paid.
            note.refunded = min(rest, cash_paid(invoice)) if refund else ZERO
            note.credited_to_balance = rest - note.refunded
            note.against_write_off = invoice.written_off_total > 0
            note.issued_on = invoice.organization.today()
            note.number = CreditNoteSequence.next_number(invoice.organization)
            if note.refunded:
                # Inserted first so the note can name it; the invoice is recomputed once,
                # below, with both rows.
                note.refund_payment = Payment.refund_locked(
                    invoice,
                    amount=note.refunded,
                    actor=actor,
                    reason=f"Credit note {note.number}",
                    for_credit_note=True,
                )
            if note.credited_to_balance:
                # After the invoice and the credit-note sequence: the customer's balance
                # row (core.locking).
                note.credit_entry = credit_customer(
                    invoice.customer,
                    currency=invoice.currency,
                    amount=note.credited_to_balance,
                    kind=CreditKind.CREDIT_NOTE,
                    actor=actor,
                    invoice=invoice,
                    reason=f"Credit note {note.number}",
                )
            note._history_user = actor
            note._change_reason = "credit_note"
            note.save()
            for line in built:
                line.credit_note = note
                line._history_user = actor
                line._change_reason = "credit_note"
                line.save()
            invoice.apply_payments(actor=actor, reason="credit_note")
            emit(
                "credit_note.created",
                organization_id=note.organization_id,
                data=credit_note_payload(note, lines=built),
            )
            log_event(
                "credit_note.issued",
                organization=note.organization_id,
                invoice=invoice.pk,
                credit_note=note.pk,
                number=note.number,
                currency=note.currency,
                total=format_plain(note.total, note.minor_unit),
                actor=actor.pk,
            )
        return note

    def _build_lines(self, lines):
        if not lines:
            raise CreditNoteEmpty(attr="lines")
        if len(lines) > MAX_LINES:
            raise InvalidLine(f"A credit note has at most {MAX_LINES} lines.")
        built = []
        for position, data in enumerate(lines, start=1):
            line = CreditNoteLine(
                credit_note=self,
                organization_id=self.organization_id,
                position=position,
                **data,
            )
            line.check_values()
            line.compute(self.minor_unit)
            built.append(line)
        return built

    def _check_caps(self, invoice, lines):
        """Per tax rate, all the invoice's credit notes stay within what it charged."""
        charged = charged_by_rate(
            InvoiceLine.objects.filter(invoice=invoice).values(
                "tax_rate", "amount", "discount_amount", "tax_amount"
            )
        )
        previous = CreditNoteLine.objects.filter(credit_note__invoice=invoice).values(
            "tax_rate", "amount", "discount_amount", "tax_amount"
        )
        credited = charged_by_rate([*previous, *lines])
        overruns = credit_overruns(charged, credited)
        if overruns:
            raise CreditExceedsInvoice(
                "Credit notes cannot credit more than the invoice charged per tax rate: "
                + "; ".join(overruns),
                attr="lines",
            )


class CreditNoteLine(TaxedLine):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credit_note_lines"
    )
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(default=1)

    objects = ImmutableQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = line_constraints("credit_line")

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DocumentImmutable()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentImmutable()


class CreditNoteSequence(models.Model):
    """The last credit-note number of an organization: a locked counter, gapless like the
    invoice series (`InvoiceSequence`), with the organization's `credit_note_prefix`."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="credit_note_sequence"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.organization}: {self.last_number}"

    @classmethod
    def next_number(cls, organization):
        """Reserve the organization's next credit-note number (inside the issuing
        transaction, after the invoice's lock: core.locking)."""
        cls.objects.get_or_create(organization=organization)
        sequence = lock(cls, organization=organization)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        # One number format for both series (`InvoiceSequence.NUMBER_PATTERN`).
        return InvoiceSequence.format_number(organization.credit_note_prefix, sequence.last_number)


class WriteOff(ImmutableRow):
    """An invoice closed as uncollectible: the balance due it wrote off, on its date.

    One per invoice: once written off, an invoice never becomes receivable again (what it
    still claims stays written off until recovered), so there is nothing left to write off
    twice."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="write_offs"
    )
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="write_off")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY_SHAPE)
    written_off_on = models.DateField()
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "written_off_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_amount_positive"),
        ]

    def __str__(self):
        return f"write-off {self.amount} {self.currency} on {self.invoice}"

    @classmethod
    def write_off(cls, invoice, *, reason, actor, expected_version=None):
        """Close a sent or partially paid invoice as uncollectible: its whole balance due is
        written off today. Returns the invoice, recomputed."""
        with atomic_step():
            invoice = invoice.lock(expected_version=expected_version)
            invoice.ensure_can("write_off")
            today = invoice.organization.today()
            row = cls(
                organization_id=invoice.organization_id,
                invoice=invoice,
                currency=invoice.currency,
                amount=invoice.balance_due,
                written_off_on=today,
                reason=reason,
                created_by=actor,
            )
            row._history_user = actor
            row._change_reason = "write_off"
            row.save()
            invoice.written_off_on = today
            invoice.apply_payments(actor=actor, reason="write_off")
            invoice.emit("invoice.written_off")
            log_event(
                "invoice.written_off",
                organization=invoice.organization_id,
                invoice=invoice.pk,
                write_off=row.pk,
                currency=row.currency,
                amount=format_plain(row.amount, invoice.minor_unit),
                actor=actor.pk,
            )
        return invoice


def credited_sum(queryset):
    """Sum of `credited_to_invoice + refunded` of credit notes (what they settle)."""
    return queryset.aggregate(s=Sum(F("credited_to_invoice") + F("refunded")))["s"] or ZERO
