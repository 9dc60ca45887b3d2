"""Invoices, their lines and the per-organization number series.

Every lifecycle command locks the invoice row (`lock()`, `core.locking`, where the
one lock order is written) inside `transaction.atomic()`, validates against the locked
copy, and saves through `VersionedModel.save`, so a command never overwrites a change it
did not see.
"""

import re
from datetime import timedelta

from django.db import models, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Round
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.compiled_query import CompiledQuery
from core.documents import MONEY, LinedDocument, Transition, line_constraints
from core.errors import InvalidStatus
from core.events import log_event
from core.locking import lock
from core.money import MONEY_SHAPE, ZERO, format_plain, quantize, validate_currency
from core.outbox import emit
from core.versioning import VersionedModel
from customers.models import Customer
from invoices.exceptions import (
    CustomerArchived,
    InvoiceEmpty,
    InvoiceHasPayments,
    InvoiceNotEditable,
)
from invoices.payloads import invoice_payload
from invoices.tax import TaxedLine

MONEY_FIELD = models.DecimalField(**MONEY_SHAPE)
# How far back `Invoice.emit_overdue_events` looks for invoices that became overdue while
# nothing ran.
OVERDUE_CATCH_UP_DAYS = 7


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    # Written off (spec 14): closed as lost, out of outstanding, overdue, aging and
    # reminders, yet still payable up to its `written_off_total` (a recovery).
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"


# Issued and live: numbered, refundable, and the invoices every report figure counts.
BOOKED_STATUSES = frozenset(
    {
        InvoiceStatus.SENT,
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.PAID,
        InvoiceStatus.UNCOLLECTIBLE,
    }
)
# Owed money: may receive payments, be reminded and be overdue.
RECEIVABLE_STATUSES = frozenset({InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID})
DRAFT_ONLY = frozenset({InvoiceStatus.DRAFT})


# Which command may run from which status: the one table every status check reads
# (`Invoice.can`, `Invoice.ensure_can`, `InvoiceQuerySet.allowing`). The resulting status
# is each command's business: `send` -> sent, `void` -> void, the payment commands ->
# whatever `status_for_amount_paid` says; `remind` changes no status.
TRANSITIONS = {
    "update_draft": Transition(DRAFT_ONLY, InvoiceNotEditable),
    "delete_draft": Transition(DRAFT_ONLY, InvoiceNotEditable),
    "send": Transition(DRAFT_ONLY, lambda: InvalidStatus("Only a draft can be sent.")),
    "void": Transition(
        {InvoiceStatus.DRAFT, InvoiceStatus.SENT},
        InvoiceHasPayments,
        {InvoiceStatus.VOID: lambda: InvalidStatus("The invoice is already void.")},
    ),
    # An uncollectible invoice still takes money: a recovery (spec 14).
    "pay": Transition(
        RECEIVABLE_STATUSES | {InvoiceStatus.UNCOLLECTIBLE},
        lambda: InvalidStatus(
            "Only sent or partially paid invoices, or uncollectible ones (a recovery), can "
            "receive payments."
        ),
    ),
    "refund": Transition(
        BOOKED_STATUSES, lambda: InvalidStatus("Draft and void invoices cannot be refunded.")
    ),
    "reverse": Transition(
        BOOKED_STATUSES,
        lambda: InvalidStatus("Payments of draft or void invoices cannot be reversed."),
    ),
    "credit": Transition(
        BOOKED_STATUSES,
        lambda: InvalidStatus("Only an issued, non-void invoice can be credited."),
    ),
    "write_off": Transition(
        RECEIVABLE_STATUSES,
        lambda: InvalidStatus("Only sent or partially paid invoices can be written off."),
    ),
    "remind": Transition(
        RECEIVABLE_STATUSES,
        lambda: InvalidStatus("Only sent or partially paid invoices can be reminded."),
    ),
}


def settled_figures(*, total, amount_paid, credited_total, written_off):
    """Spec 14's status rule, its one home: `(written_off_total, balance_due, status)` of a
    booked invoice from its total, what its payment rows and credit notes settled, and
    whether it was ever written off.

    Once written off, whatever the invoice still claims is written off: a recovery moves
    money from `written_off_total` to `amount_paid`, and a refund or reversal moves it back.
    """
    claim = max(total - amount_paid - credited_total, ZERO)
    written_off_total = claim if written_off else ZERO
    balance_due = claim - written_off_total
    if written_off_total > 0:
        status = InvoiceStatus.UNCOLLECTIBLE
    elif balance_due <= 0:
        status = InvoiceStatus.PAID
    elif balance_due < total:
        status = InvoiceStatus.PARTIALLY_PAID
    else:
        status = InvoiceStatus.SENT
    return written_off_total, balance_due, status


def status_for_amount_paid(amount_paid, total):
    """Spec 5.3's rule for an invoice without credit notes nor write-off."""
    return settled_figures(
        total=total, amount_paid=amount_paid, credited_total=ZERO, written_off=False
    )[2]


class InvoiceQuerySet(models.QuerySet):
    def allowing(self, command):
        """The invoices whose status lets `command` run (`TRANSITIONS`), filtered in SQL."""
        return self.filter(status__in=TRANSITIONS[command].sources)

    @staticmethod
    def overdue_q(today):
        """Spec 5.3's overdue rule, its one home: still receivable (sent or partially paid),
        something left to pay, and the due date before `today`. Reports, the demo data and
        `with_is_overdue` filter with it; `Invoice.overdue_on` is its tested Python twin."""
        return Q(status__in=RECEIVABLE_STATUSES, balance_due__gt=0, due_date__lt=today)

    def as_shown(self, today):
        """With what the API shows of each invoice: its customer, its lines and `is_overdue`
        on `today`."""
        return self.select_related("customer").prefetch_related("lines").with_is_overdue(today)

    def with_is_overdue(self, today):
        """Annotate `is_overdue` (spec 5.3) so it is always current and filterable in SQL."""
        return self.annotate(
            is_overdue=Case(
                When(self.overdue_q(today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )


class Invoice(LinedDocument, VersionedModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoices"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    # NULL until sent: drafts have no number, and NULLs never collide in the unique index.
    number = models.CharField(max_length=32, null=True, blank=True, editable=False)  # noqa: DJ001
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, editable=False
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # The ISO 4217 minor unit the figures were computed with, fixed when the currency is set:
    # a later change of ISO's table never changes an existing invoice (spec 3).
    minor_unit = models.PositiveSmallIntegerField(editable=False)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    subtotal = models.DecimalField(**MONEY, editable=False)
    discount_total = models.DecimalField(**MONEY, editable=False)
    tax_total = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)
    amount_paid = models.DecimalField(**MONEY, editable=False)
    balance_due = models.DecimalField(**MONEY, editable=False)
    # Spec 14: what its credit notes settled (on the invoice or refunded), and what is
    # written off (`written_off_on`: the write-off's date; set once, never cleared).
    credited_total = models.DecimalField(**MONEY, editable=False)
    written_off_total = models.DecimalField(**MONEY, editable=False)
    written_off_on = models.DateField(null=True, blank=True, editable=False)
    # The recurring invoice that generated it (spec 16). A plain id, not a foreign key:
    # `recurring` sits above invoices, and its run rows hold the real keys.
    recurring_invoice = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    void_reason = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"]),
            models.Index(fields=["organization", "issue_date"]),
            # The list's default order within an organization: a page reads its 25 rows
            # from this index instead of sorting the whole book (bench/README.md).
            models.Index(
                fields=["organization", "-created_at", "-id"], name="invoice_org_newest_first"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="invoice_number_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
            # Amounts are stored with 4 decimal places; ISO's largest minor unit is 4 (CLF).
            models.CheckConstraint(
                condition=Q(minor_unit__lte=4), name="invoice_minor_unit_fits_storage"
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, tax_total__gte=0, total__gte=0),
                name="invoice_totals_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_paid__lte=F("total")),
                name="invoice_amount_paid_within_total",
            ),
            models.CheckConstraint(
                # Rounded to the stored scale: SQLite keeps decimals as floating point, where
                # 44764.56 - 22382.29 is not exactly 22382.27 (PostgreSQL is exact anyway).
                condition=Q(
                    balance_due=Round(
                        F("total")
                        - F("amount_paid")
                        - F("credited_total")
                        - F("written_off_total"),
                        4,
                    )
                ),
                name="invoice_balance_is_what_is_still_claimed",
            ),
            models.CheckConstraint(
                condition=Q(balance_due__gte=0, credited_total__gte=0, written_off_total__gte=0),
                name="invoice_settlements_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | ~Q(status=InvoiceStatus.DRAFT),
                name="invoice_draft_has_no_number",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True)
                | Q(issue_date__isnull=True)
                | Q(due_date__gte=F("issue_date")),
                name="invoice_due_not_before_issue",
            ),
        ]

    def __str__(self):
        return self.number or f"Draft #{self.pk}"

    # --- predicates (`can`, `ensure_can`: LinedDocument) ---------------------------------

    party_field = "customer"
    transitions = TRANSITIONS

    def can_void(self):
        # Any payment row, even one later reversed, makes the invoice part of the books.
        return self.can("void") and not self.payments.exists()

    def overdue_on(self, today):
        """`InvoiceQuerySet.overdue_q` for one instance read without the annotation; the
        same three conditions, kept equal by `test_overdue_twin_matches_the_sql_annotation`."""
        return (
            self.status in RECEIVABLE_STATUSES
            and self.balance_due > 0
            and self.due_date is not None
            and self.due_date < today
        )

    def payment_terms_days(self):
        """The days from the issue date to the due date: the terms this invoice was given
        (at send, by hand or by its recurring template); before it has both dates, the
        customer's, which sending applies. PDFs and e-invoices state these, never the
        customer's current terms beside a due date they do not explain."""
        if self.issue_date and self.due_date:
            return (self.due_date - self.issue_date).days
        return self.customer.payment_terms_days

    # --- drafts (create_draft, update_draft, delete_draft: LinedDocument) --------------

    @classmethod
    def ensure_party_active(cls, party):
        ensure_customer_can_be_billed(party)

    def _draft_created(self, lines):
        self.emit("invoice.created", lines=lines)

    # --- lifecycle ----------------------------------------------------------------------

    def send(self, *, actor, on_sent=None, expected_version=None):
        """Draft -> sent: assign the next gapless number, default the dates.

        `on_sent(invoice)` runs inside the same transaction after the number is assigned
        (used to queue the e-mail with `transaction.on_commit`). With `expected_version`,
        a draft changed since that version is not sent (`concurrent_modification`).
        """
        with transaction.atomic():
            invoice = self.lock(expected_version=expected_version)
            invoice.ensure_can("send")
            if not invoice.lines.exists() or invoice.total <= 0:
                raise InvoiceEmpty()
            invoice._default_dates()
            invoice.number = InvoiceSequence.next_number(invoice.organization)
            invoice.status = InvoiceStatus.SENT
            invoice.sent_at = timezone.now()
            invoice._record_transition(
                "send",
                "invoice.sent",
                actor=actor,
                currency=invoice.currency,
                total=format_plain(invoice.total, invoice.minor_unit),
            )
            invoice.emit("invoice.sent")
            if on_sent is not None:
                on_sent(invoice)
        self.refresh_from_db()

    def void(self, *, reason, actor, expected_version=None):
        """Draft or never-paid sent invoice -> void (`LinedDocument.void`), written to the
        outbox in the same transaction. A sent invoice keeps its number."""
        with transaction.atomic():
            super().void(reason=reason, actor=actor, expected_version=expected_version)
            self.emit("invoice.voided")

    def _record_transition(self, command, event, *, actor, **fields):
        """Save a status change made by `command`: its history row says who and why, and the
        domain event `event` is logged once it commits (with `fields` beyond the common ones)."""
        self._history_user = actor
        self._change_reason = command
        self.save()
        log_event(
            event,
            organization=self.organization_id,
            invoice=self.pk,
            number=self.number,
            actor=actor.pk,
            **fields,
        )

    def apply_payments(self, *, actor, reason):
        """Recompute amount_paid, credited_total, written_off_total, balance_due, status and
        paid_at from the rows that settle the invoice: its payment rows, its credit notes and
        its write-off (`written_off_on`, set by the write-off before it calls this). The one
        place these figures are written (spec 14's rule: `settled_figures`).

        Call with this invoice locked, in the transaction that wrote the row; `reason` is the
        command (`pay`, `refund`, `reverse`, `credit_note`, `write_off`) for the history row.
        """
        sums = dict(SETTLING_SUMS.rows(invoice=self.pk))
        paid, credited = sums["paid"] or ZERO, sums["credited"] or ZERO
        # Each row has at most the minor unit's digits, so the exact sum has too. SQLite sums
        # decimals in binary floating point (0.10 + 0.20 - 0.30 = 5.55e-17): rounding to
        # the minor unit gives back the exact sum, and amounts that cancel out leave 0.
        paid = quantize(paid, self.minor_unit)
        credited = quantize(credited, self.minor_unit)
        self.amount_paid = paid
        was_paid = self.status == InvoiceStatus.PAID
        self.credited_total = credited
        self.written_off_total, self.balance_due, self.status = settled_figures(
            total=self.total,
            amount_paid=paid,
            credited_total=credited,
            written_off=self.written_off_on is not None,
        )
        if self.status == InvoiceStatus.PAID:
            if self.paid_at is None:
                self.paid_at = timezone.now()
                # However it got there (payments, a credit note, a recovery): spec 14.
                log_event(
                    "invoice.paid",
                    organization=self.organization_id,
                    invoice=self.pk,
                    number=self.number,
                    by=reason,
                    actor=actor.pk if actor else None,
                )
        else:
            self.paid_at = None
        self._history_user = actor
        self._change_reason = reason
        self.save()
        if self.status == InvoiceStatus.PAID and not was_paid:
            self.emit("invoice.paid")

    def emit(self, event_type, *, lines=None, key=None):
        """Write `event_type` about this invoice, as the API shows it now, to the outbox
        (spec 16). Call in the transaction of the change, after saving it."""
        return emit(
            event_type,
            organization_id=self.organization_id,
            data=invoice_payload(self, lines=lines),
            key=key,
        )

    @classmethod
    def emit_overdue_events(cls, organization, *, today=None):
        """`invoice.overdue` once for each invoice of `organization` that is overdue on its
        `today` (spec 16: once, the day it becomes overdue). An invoice that fell due more
        than `OVERDUE_CATCH_UP_DAYS` ago is left out, so a first run (or one after a long
        stop) does not announce the whole back book. Returns how many were written."""
        today = today or organization.today()
        invoices = cls.objects.filter(
            cls.objects.overdue_q(today),
            organization=organization,
            due_date__gte=today - timedelta(days=OVERDUE_CATCH_UP_DAYS),
        ).select_related("customer", "organization")
        written = 0
        for invoice in invoices.iterator():
            with transaction.atomic():
                # The unique key is the "once": a second run, or a second runner, writes none.
                if invoice.emit("invoice.overdue", key=f"invoice.overdue:{invoice.pk}"):
                    written += 1
        return written


class InvoiceLine(TaxedLine):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = line_constraints("line")


def settling_sums(invoice):
    """`[("paid", sum of the payment rows), ("credited", sum of the credit notes' credit
    and refunds)]` of the invoice whose id is `invoice`: both in one statement (the
    payment's query budget, bench/README.md). The rows' models live above invoices: read
    through the reverse relations."""
    rows = Invoice(pk=invoice)
    return _tagged_sum(rows.payments, "paid", "amount").union(
        _tagged_sum(rows.credit_notes, "credited", F("credited_to_invoice") + F("refunded")),
        all=True,
    )


# Compiled once per database (core.compiled_query): every payment runs it.
SETTLING_SUMS = CompiledQuery(Invoice, settling_sums, invoice=Invoice._meta.pk)


def _tagged_sum(rows, tag, expression):
    """`(tag, SUM(expression))` over `rows`: one row, without GROUP BY (a constant is
    never grouped on), so sums of several tables can be read in one UNION."""
    return (
        rows.order_by()
        .annotate(tag=Value(tag, output_field=models.CharField()))
        .values("tag")
        .annotate(total=Sum(expression, output_field=MONEY_FIELD))
        .values_list("tag", "total")
    )


def ensure_customer_can_be_billed(customer, *, current_customer_id=None):
    """400 `customer_archived` on `customer`: an archived customer gets no new invoice and
    no draft moved to it; a draft that already bills it (`current_customer_id`) keeps it."""
    if customer.is_archived and customer.pk != current_customer_id:
        raise CustomerArchived(attr="customer")


class InvoiceSequence(models.Model):
    """The last invoice number issued by an organization: a locked counter, never a DB
    sequence, because sequences skip values on rollback and the series must be gapless."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="invoice_sequence"
    )
    last_number = models.PositiveIntegerField(default=0)

    # The number's one format: the organization's prefix (letters, digits, dashes), a dash,
    # and the sequence number in at least five digits. `format_number` writes it and
    # verify_ledger reads it back with this pattern; the series continues across prefixes.
    NUMBER_PATTERN = re.compile(r"^(?P<prefix>[A-Za-z0-9-]+)-(?P<sequence>\d{5,})$")

    def __str__(self):
        return f"{self.organization}: {self.last_number}"

    @staticmethod
    def format_number(prefix, sequence_number):
        return f"{prefix}-{sequence_number:05d}"

    @classmethod
    def next_number(cls, organization):
        """Reserve the organization's next number. Call inside the sending transaction."""
        cls.objects.get_or_create(organization=organization)
        # Lock after the invoice row (lock order: core.locking); concurrent sends
        # queue here and each sees the number the previous one committed.
        sequence = lock(cls, organization=organization)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        return cls.format_number(organization.invoice_prefix, sequence.last_number)


class InvoiceReminder(models.Model):
    """One reminder stage (days relative to the due date) e-mailed for one invoice."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invoice_reminders"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    stage = models.SmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "stage"], name="reminder_once_per_stage")
        ]

    def __str__(self):
        return f"{self.invoice} day {self.stage:+d}"
