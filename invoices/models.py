"""Invoices, their lines and the per-organization number series.

Every lifecycle command locks the invoice row (`lock()`, `core.locking`, where the
one lock order is written) inside `transaction.atomic()`, validates against the locked
copy, and saves through `VersionedModel.save`, so a command never overwrites a change it
did not see.
"""

import re
from datetime import timedelta
from decimal import Decimal, localcontext

from django.db import models, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Round
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.errors import InvalidStatus
from core.events import log_event
from core.locking import lock
from core.money import (
    MONEY_INTEGER_DIGITS,
    MONEY_SHAPE,
    MONEY_STEP,
    PERCENT_SHAPE,
    ZERO,
    NotANumber,
    document_minor_unit,
    format_plain,
    parse_decimal,
    quantize,
    validate_currency,
)
from core.outbox import emit
from core.versioning import VersionedModel
from customers.models import Customer
from invoices.exceptions import (
    AmountTooLarge,
    CustomerArchived,
    InvalidDates,
    InvalidLine,
    InvoiceEmpty,
    InvoiceHasPayments,
    InvoiceNotEditable,
)
from invoices.payloads import invoice_payload

MONEY = {**MONEY_SHAPE, "default": Decimal("0")}
MONEY_FIELD = models.DecimalField(**MONEY_SHAPE)
# Stored amounts have 15 integer digits; anything larger cannot be an invoice.
MAX_AMOUNT = Decimal("1e14")
HUNDRED = Decimal("100")
# Line inputs are stored in the money shape: 4 decimal places, at most 15 integer digits.
LINE_INPUT_STEP = MONEY_STEP
# The numbers of a line's input, in the order they are checked.
LINE_NUMBERS = ("quantity", "unit_price", "discount_percent", "tax_rate")
MAX_LINE_INPUT = Decimal(10) ** MONEY_INTEGER_DIGITS
# How far back `Invoice.emit_overdue_events` looks for invoices that became overdue while
# nothing ran.
OVERDUE_CATCH_UP_DAYS = 7
# Enough digits that quantity x unit_price x percent is exact; rounding happens only in
# `quantize`, where the spec says it does.
EXACT_PRECISION = 60


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


class Transition:
    """The statuses one command may run from, and the refusal (error) from any other.

    `refusals` names a different error for particular statuses (voiding a void invoice is
    `invalid_status`, voiding a paid one `invoice_has_payments`)."""

    def __init__(self, sources, refusal, refusals=None):
        self.sources = frozenset(sources)
        self.refusal = refusal
        self.refusals = refusals or {}

    def error(self, status):
        return self.refusals.get(status, self.refusal)()


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

    def with_is_overdue(self, today):
        """Annotate `is_overdue` (spec 5.3) so it is always current and filterable in SQL."""
        return self.annotate(
            is_overdue=Case(
                When(self.overdue_q(today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )


class Invoice(VersionedModel):
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

    # --- predicates ---------------------------------------------------------------------

    def can(self, command):
        """Whether this invoice's status lets `command` run (`TRANSITIONS`); views, admin
        and serializers ask this instead of comparing statuses themselves."""
        return self.status in TRANSITIONS[command].sources

    def ensure_can(self, command):
        """Refuse `command` with its error (`TRANSITIONS`) unless the status allows it.

        Commands call it on the row they locked; a view may call it first to refuse before
        validating a body (the locked check still decides)."""
        transition = TRANSITIONS[command]
        if self.status not in transition.sources:
            raise transition.error(self.status)

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

    # --- drafts -------------------------------------------------------------------------

    @classmethod
    def create_draft(cls, *, organization, customer, actor, lines=(), **fields):
        """Create a draft with its lines and stored totals. The customer must be active.

        Totals are computed before the first save, so the invoice gets one history row.
        """
        if customer.organization_id != organization.pk:
            raise ValueError("customer belongs to another organization")
        ensure_customer_can_be_billed(customer)
        fields.setdefault("currency", customer.currency)
        invoice = cls(organization=organization, customer=customer, **fields)
        # Also when defaulted from the customer: a new document takes only an active code.
        invoice.minor_unit = document_minor_unit(invoice.currency)
        invoice._check_dates()
        built = invoice._build_lines(lines)
        invoice._set_totals(built)
        with transaction.atomic():
            # Re-checked under the customer's lock: an archive that committed since
            # `customer` was read must refuse the invoice, not be silently bypassed.
            _lock_active_customer(customer)
            invoice._history_user = actor
            invoice._change_reason = "create_draft"
            invoice.save()
            invoice._save_lines(built, actor=actor, reason="create_draft")
            invoice.emit("invoice.created", lines=built)
        return invoice

    def update_draft(self, *, actor, lines=None, expected_version=None, **fields):
        """Change a draft's fields and, when `lines` is given, replace all its lines.

        Refused with `invoice_not_editable` unless the locked row is still a draft, and with
        `concurrent_modification` if it is not at `expected_version` (If-Match, the admin
        page's version) or changed since this instance was read.
        """
        with transaction.atomic():
            # The caller's explicit version first (If-Match: 412 when stale), then the
            # status, then the version this instance was read at (a lost race, 409).
            invoice = self.lock(expected_version=expected_version)
            invoice.ensure_can("update_draft")
            invoice.ensure_version(self.version)
            customer = fields.get("customer")
            if customer is not None and customer.pk != invoice.customer_id:
                if customer.organization_id != invoice.organization_id:
                    raise ValueError("customer belongs to another organization")
                # Lock order: the invoice (above), then the customer it moves to.
                fields["customer"] = _lock_active_customer(customer)
            currency_changed = fields.get("currency", invoice.currency) != invoice.currency
            for name, value in fields.items():
                setattr(invoice, name, value)
            if currency_changed:
                invoice.minor_unit = document_minor_unit(invoice.currency)
            invoice._check_dates()
            if lines is not None:
                built = invoice._build_lines(lines)
                invoice._delete_lines(actor=actor, reason="update_draft")
            else:
                built = list(invoice.lines.all())
                # Kept lines were rounded for the old currency's minor unit.
                for line in built if currency_changed else ():
                    line.compute(invoice.minor_unit)
            invoice._set_totals(built)
            invoice._history_user = actor
            invoice._change_reason = "update_draft"
            invoice.save()
            if lines is not None or currency_changed:
                invoice._save_lines(built, actor=actor, reason="update_draft")
        self.refresh_from_db()

    def delete_draft(self, *, actor, expected_version=None):
        """Delete a draft and its lines; refused like `update_draft` (not a draft: 409
        `invoice_not_editable`; not at `expected_version` or changed since this instance was
        read: 409 `concurrent_modification`, so a delete never discards an edit it did not
        see)."""
        with transaction.atomic():
            # The caller's explicit version first (If-Match: 412 when stale), then the
            # status, then the version this instance was read at (a lost race, 409).
            invoice = self.lock(expected_version=expected_version)
            invoice.ensure_can("delete_draft")
            invoice.ensure_version(self.version)
            invoice._delete_lines(actor=actor, reason="delete_draft")
            invoice._history_user = actor
            invoice._change_reason = "delete_draft"
            invoice.delete()

    def _build_lines(self, lines):
        """Unsaved, computed lines from dicts of line input (validated, nothing written)."""
        built = []
        for position, data in enumerate(lines, start=1):
            line = InvoiceLine(
                invoice=self, organization_id=self.organization_id, position=position, **data
            )
            try:
                line.check_values()
            except InvalidLine as error:
                # The field within the input's list, as a serializer would name it.
                error.attr = f"lines.{position - 1}.{error.attr}"
                raise
            line.compute(self.minor_unit)
            built.append(line)
        return built

    def _save_lines(self, lines, *, actor, reason):
        for line in lines:
            line.invoice = self
            line._history_user = actor
            line._change_reason = reason
            line.save()

    def _delete_lines(self, *, actor, reason):
        for line in self.lines.all():
            line._history_user = actor
            line._change_reason = reason
            line.delete()

    def _set_totals(self, lines):
        set_document_totals(self, lines)
        self.balance_due = self.total - self.amount_paid

    def _check_dates(self):
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise InvalidDates(attr="due_date")

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
            today = invoice.organization.today()
            invoice.issue_date = invoice.issue_date or today
            if invoice.due_date is None:
                try:
                    invoice.due_date = invoice.issue_date + timedelta(
                        days=invoice.customer.payment_terms_days
                    )
                except OverflowError:  # an issue date at the end of the calendar
                    raise InvalidDates("The due date would be past year 9999.") from None
            invoice._check_dates()
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
        """Draft or never-paid sent invoice -> void. A sent invoice keeps its number."""
        with transaction.atomic():
            invoice = self.lock(expected_version=expected_version)
            invoice.ensure_can("void")
            # Any payment row, even one later reversed, makes the invoice part of the books.
            if invoice.payments.exists():
                raise InvoiceHasPayments()
            invoice.status = InvoiceStatus.VOID
            invoice.voided_at = timezone.now()
            invoice.void_reason = reason or ""
            invoice._record_transition("void", "invoice.voided", actor=actor)
            invoice.emit("invoice.voided")
        self.refresh_from_db()

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
        # Both sums in one statement (the payment's query budget, bench/README.md). The
        # rows' models live above invoices: read through the reverse relations.
        sums = dict(
            _tagged_sum(self.payments, "paid", "amount").union(
                _tagged_sum(
                    self.credit_notes, "credited", F("credited_to_invoice") + F("refunded")
                ),
                all=True,
            )
        )
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


class ComputedLine(models.Model):
    """A line computed per spec 5.2: its inputs and rounded figures. Invoice lines and
    credit-note lines (spec 14: "lines and totals follow 5.2 exactly") share it."""

    description = models.CharField(max_length=500)
    quantity = models.DecimalField(**MONEY_SHAPE)
    unit_price = models.DecimalField(**MONEY_SHAPE)
    discount_percent = models.DecimalField(**PERCENT_SHAPE, default=Decimal("0"))
    tax_rate = models.DecimalField(**PERCENT_SHAPE, default=Decimal("0"))
    amount = models.DecimalField(**MONEY, editable=False)
    discount_amount = models.DecimalField(**MONEY, editable=False)
    tax_amount = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)

    class Meta:
        abstract = True

    def check_values(self):
        """Refuse line input the database constraints would reject: `InvalidLine` naming
        the field at fault (`quantity`, ...), which the invoice places in its lines."""
        for name in LINE_NUMBERS:
            value = _as_decimal(getattr(self, name), name)
            setattr(self, name, value)
            if not value < MAX_LINE_INPUT:
                raise InvalidLine("Line numbers must be below 10^15.", attr=name)
            if value != value.quantize(LINE_INPUT_STEP):
                raise InvalidLine("Line numbers have at most 4 decimal places.", attr=name)
        if not isinstance(self.description, str) or not 1 <= len(self.description.strip()) <= 500:
            raise InvalidLine("A line description has 1 to 500 characters.", attr="description")
        message = "Quantity must be above zero and unit price not negative."
        if self.quantity <= 0:
            raise InvalidLine(message, attr="quantity")
        if self.unit_price < 0:
            raise InvalidLine(message, attr="unit_price")
        for name in ("discount_percent", "tax_rate"):
            if not 0 <= getattr(self, name) <= HUNDRED:
                raise InvalidLine(
                    "Discount and tax rates are percentages from 0 to 100.", attr=name
                )

    def compute(self, minor_unit):
        """Spec 5.2: each figure rounded half-up to the minor unit, in order.

        `minor_unit` is the invoice's stored one (or a currency code, for a check of a line
        before its invoice exists).
        """
        with localcontext() as context:
            context.prec = EXACT_PRECISION
            self.amount = quantize(self.quantity * self.unit_price, minor_unit)
            if self.amount >= MAX_AMOUNT:
                raise AmountTooLarge(attr="lines")
            self.discount_amount = quantize(
                self.amount * self.discount_percent / HUNDRED, minor_unit
            )
            # Tax is charged on the discounted amount, rounded on its own.
            self.tax_amount = quantize(
                (self.amount - self.discount_amount) * self.tax_rate / HUNDRED, minor_unit
            )
            self.total = self.amount - self.discount_amount + self.tax_amount


class InvoiceLine(ComputedLine):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="line_unit_price_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="line_tax_rate_range"
            ),
        ]

    def __str__(self):
        return self.description


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


def set_document_totals(document, lines):
    """Spec 5.2: sum the already-rounded line figures (round per line, then sum) onto an
    invoice or credit note."""
    document.subtotal = sum((line.amount for line in lines), ZERO)
    document.discount_total = sum((line.discount_amount for line in lines), ZERO)
    document.tax_total = sum((line.tax_amount for line in lines), ZERO)
    document.total = document.subtotal - document.discount_total + document.tax_total
    if max(document.subtotal, document.tax_total, document.total) >= MAX_AMOUNT:
        raise AmountTooLarge(attr="lines")


def _lock_active_customer(customer):
    """`customer` re-read under its row lock; 400 `customer_archived` if it is archived.

    `Customer.archive` takes the same lock, so an archive racing the new invoice is seen
    here (the caller's copy may predate it) rather than leaving an archived customer with a
    new invoice. Lock order (core.locking): an existing invoice first, then its customer.
    """
    locked = customer.lock()
    ensure_customer_can_be_billed(locked)
    return locked


def ensure_customer_can_be_billed(customer, *, current_customer_id=None):
    """400 `customer_archived` on `customer`: an archived customer gets no new invoice and
    no draft moved to it; a draft that already bills it (`current_customer_id`) keeps it."""
    if customer.is_archived and customer.pk != current_customer_id:
        raise CustomerArchived(attr="customer")


def _as_decimal(value, name):
    try:
        return parse_decimal(value)
    except NotANumber:
        raise InvalidLine(
            "Line numbers are plain digits with an optional fraction.", attr=name
        ) from None


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
