"""Recurring invoices (spec 16): templates that issue an invoice every period, exactly once.

A template's periods are anchored to its `start_date` (`recurring.schedule`). Its run
(`RecurringInvoice.run_next_period`, driven by `run_recurring` and beat) creates each due
period's invoice through the invoice's own commands (`Invoice.create_draft`, then
`send_invoice` when the template auto-sends), so numbering, events, e-mail and audit are
the invoice's. Exactly once: each period is one `RecurringRun` row, unique per (template,
period start), written in the transaction that creates the invoice, under the template's
row lock; a second runner waits for the lock and finds the period done, and the constraint
refuses anything that slipped past.

Lock order (core.locking): the template first, then what the invoice's commands lock (its
customer, the new invoice, the number sequence).
"""

from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.documents import (
    MONEY,
    InvalidLine,
    LineHolder,
    line_constraints,
    set_document_totals,
)
from core.errors import DomainError, InvalidStatus
from core.locking import lock
from core.money import document_minor_unit, validate_currency
from core.versioning import VersionedModel
from customers.models import Customer
from invoices.exceptions import InvoiceEmpty
from invoices.mail import CustomerHasNoEmail, send_invoice
from invoices.models import Invoice, ensure_customer_can_be_billed
from invoices.tax import LINE_INPUT_FIELDS, TaxedLine
from recurring import schedule
from recurring.exceptions import AutoEmailNeedsAutoSend, InvalidSchedule, ScheduleLocked

MAX_INTERVAL_COUNT = 100
MAX_DAYS_UNTIL_DUE = 3650
MAX_LINES = 500
# A runner that keeps colliding with another on one template leaves it to that one.
MAX_COLLISIONS = 3
# Fields that place the periods: fixed once a period has been run, so a period is never
# billed twice under two calendars.
SCHEDULE_FIELDS = ("interval", "interval_count", "start_date")


class RecurringStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    # `end_date` has passed and its last period is invoiced.
    ENDED = "ended", "Ended"


class RecurringInterval(models.TextChoices):
    WEEK = schedule.WEEK, "Week"
    MONTH = schedule.MONTH, "Month"
    QUARTER = schedule.QUARTER, "Quarter"
    YEAR = schedule.YEAR, "Year"


class RunOutcome(models.TextChoices):
    INVOICED = "invoiced", "Invoiced"
    # The period fell while the template was paused.
    SKIPPED = "skipped", "Skipped (paused)"


class RecurringInvoice(LineHolder, VersionedModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recurring_invoices"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="recurring_invoices"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # The minor unit the lines were computed with (spec 3), like an invoice's.
    minor_unit = models.PositiveSmallIntegerField(editable=False)
    interval = models.CharField(max_length=10, choices=RecurringInterval.choices)
    interval_count = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    days_until_due = models.PositiveSmallIntegerField()
    auto_send = models.BooleanField(default=False)
    auto_email = models.BooleanField(default=False)
    reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    status = models.CharField(
        max_length=10,
        choices=RecurringStatus.choices,
        default=RecurringStatus.ACTIVE,
        editable=False,
    )
    # The index of the first period not yet run (0: the one starting on `start_date`).
    next_period = models.PositiveIntegerField(default=0, editable=False)
    # That period's start while active and before `end_date`; else null (nothing scheduled).
    next_run_on = models.DateField(null=True, blank=True, editable=False)
    paused_on = models.DateField(null=True, blank=True, editable=False)
    last_invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    subtotal = models.DecimalField(**MONEY, editable=False)
    discount_total = models.DecimalField(**MONEY, editable=False)
    tax_total = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_run_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecurringStatus.values), name="recurring_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(interval__in=RecurringInterval.values),
                name="recurring_interval_valid",
            ),
            models.CheckConstraint(
                condition=Q(interval_count__gte=1), name="recurring_interval_count_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="recurring_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(minor_unit__lte=4), name="recurring_minor_unit_fits_storage"
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, tax_total__gte=0, total__gte=0),
                name="recurring_totals_non_negative",
            ),
        ]

    def __str__(self):
        return f"Recurring #{self.pk} ({self.customer.name}, every {self.describe_interval()})"

    def describe_interval(self):
        unit = self.get_interval_display().lower()
        return unit if self.interval_count == 1 else f"{self.interval_count} {unit}s"

    # --- the calendar -------------------------------------------------------------------

    def period_start(self, index):
        """Period `index`'s start, or None when it never comes (past `end_date` or the
        calendar)."""
        start = schedule.period_start(self.start_date, self.interval, self.interval_count, index)
        if start is None or (self.end_date is not None and start > self.end_date):
            return None
        return start

    def _settle_schedule(self, today):
        """`next_run_on` and `status` from `next_period`: `ended` once `end_date` has passed
        and no period is left; nothing scheduled while paused."""
        start = self.period_start(self.next_period)
        if self.status == RecurringStatus.PAUSED:
            self.next_run_on = None
            return
        self.next_run_on = start
        if start is None and self.end_date is not None and self.end_date < today:
            self.status = RecurringStatus.ENDED
        elif self.status == RecurringStatus.ENDED:
            self.status = RecurringStatus.ACTIVE  # `end_date` was moved later

    def _skip_done_periods(self):
        """Advance `next_period` over periods that already have their run row (skipped while
        paused, or run by another runner)."""
        since = self.period_start(self.next_period) or self.start_date
        done = set(
            self.runs.filter(period_start__gte=since)
            .order_by()
            .values_list("period_start", flat=True)
        )
        while (start := self.period_start(self.next_period)) is not None and start in done:
            self.next_period += 1

    # --- predicates (the commands and the admin's buttons ask them) ---------------------

    def can_pause(self):
        return self.status == RecurringStatus.ACTIVE

    def can_resume(self):
        return self.status == RecurringStatus.PAUSED

    # --- writes -------------------------------------------------------------------------

    @classmethod
    def create(cls, *, organization, customer, actor, lines, **fields):
        """A new active template whose first period starts on `start_date`. Its customer
        must be active (400 `customer_archived`); lines follow spec 5.2."""
        if customer.organization_id != organization.pk:
            raise ValueError("customer belongs to another organization")
        ensure_customer_can_be_billed(customer)
        fields.setdefault("currency", customer.currency)
        _default_days_until_due(fields, customer)
        template = cls(organization=organization, customer=customer, **fields)
        template.minor_unit = document_minor_unit(template.currency)
        template._check()
        built = template._build_lines(lines)
        set_document_totals(template, built)
        template._check_sendable(built)
        template._settle_schedule(organization.today())
        with transaction.atomic():
            # Under the customer's lock: an archive that committed meanwhile is seen.
            ensure_customer_can_be_billed(customer.lock())
            template._save(actor, "create")
            template._save_lines(built, actor=actor, reason="create")
        return template

    def update(self, *, actor, lines=None, expected_version=None, **fields):
        """Change the template; `lines`, when given, replace all its lines. The schedule
        (interval, count, start date) is fixed once a period has run (409 `schedule_locked`);
        `end_date` may move, which can end the template or bring an ended one back.
        `days_until_due=None` is the (new) customer's payment terms, as at create."""
        with transaction.atomic():
            template = self.lock(expected_version=expected_version)
            template.ensure_version(self.version)
            if "days_until_due" in fields:
                _default_days_until_due(fields, fields.get("customer") or template.customer)
            changed_schedule = [
                name
                for name in SCHEDULE_FIELDS
                if name in fields and fields[name] != getattr(template, name)
            ]
            if changed_schedule and (template.next_period > 0 or template.runs.exists()):
                # A conflict with the template's state (409), not a field error.
                raise ScheduleLocked(
                    f"{changed_schedule[0]} cannot change once a period has run: the "
                    "interval, its count and the start date place every period."
                )
            customer = fields.get("customer")
            if customer is not None and customer.pk != template.customer_id:
                if customer.organization_id != template.organization_id:
                    raise ValueError("customer belongs to another organization")
                ensure_customer_can_be_billed(customer.lock())
            currency_changed = fields.get("currency", template.currency) != template.currency
            for name, value in fields.items():
                setattr(template, name, value)
            if currency_changed:
                template.minor_unit = document_minor_unit(template.currency)
            template._check()
            if lines is not None:
                built = template._build_lines(lines)
            else:
                built = list(template.lines.all())
                # Kept lines were rounded for the old currency's minor unit.
                for line in built if currency_changed else ():
                    line.compute(template.minor_unit)
            set_document_totals(template, built)
            template._check_sendable(built)
            template._settle_schedule(template.organization.today())
            if lines is not None:
                template._delete_lines(actor=actor, reason="update")
            template._save(actor, "update")
            if lines is not None or currency_changed:
                template._save_lines(built, actor=actor, reason="update")
        self.refresh_from_db()

    def pause(self, *, actor, expected_version=None):
        """Active -> paused: no period is invoiced while paused, and the periods that start
        before the resume are skipped for good (409 `invalid_status` unless active)."""
        with transaction.atomic():
            template = self.lock(expected_version=expected_version)
            if not template.can_pause():
                raise InvalidStatus("Only an active recurring invoice can be paused.")
            template.status = RecurringStatus.PAUSED
            template.paused_on = template.organization.today()
            template._settle_schedule(template.paused_on)
            template._save(actor, "pause")
        self.refresh_from_db()

    def resume(self, *, actor, expected_version=None, today=None):
        """Paused -> active (or ended, when `end_date` has passed meanwhile). Each period
        that started from the pause day to the day before the resume is recorded as skipped;
        periods missed before the pause (the runner was down) are still caught up."""
        with transaction.atomic():
            template = self.lock(expected_version=expected_version)
            if not template.can_resume():
                raise InvalidStatus("Only a paused recurring invoice can be resumed.")
            today = today or template.organization.today()
            index = max(
                template.next_period,
                schedule.first_index_on_or_after(
                    template.start_date,
                    template.interval,
                    template.interval_count,
                    template.paused_on,
                ),
            )
            done = set(template.runs.values_list("period_start", flat=True))
            skipped = []
            while (start := template.period_start(index)) is not None and start < today:
                if start not in done:
                    skipped.append(
                        RecurringRun(
                            organization_id=template.organization_id,
                            template=template,
                            period_start=start,
                            outcome=RunOutcome.SKIPPED,
                        )
                    )
                index += 1
            RecurringRun.objects.bulk_create(skipped)
            template.status = RecurringStatus.ACTIVE
            template.paused_on = None
            template._skip_done_periods()
            template._settle_schedule(today)
            template._save(actor, "resume")
        self.refresh_from_db()

    def run_next_period(self, *, actor, today):
        """Invoice the next due period, if one is due on `today`: one transaction, under the
        template's lock. Returns the new invoice, or None when nothing is due (the status may
        have become `ended`). A refusal of the invoice's commands (an archived customer, a
        customer without e-mail for `auto_email`...) raises its `DomainError` and leaves
        nothing behind: the period stays due and is invoiced by a later run."""
        with transaction.atomic():
            # Lock order: the template, then what the invoice's commands lock.
            template = lock(RecurringInvoice, pk=self.pk)
            if template.status != RecurringStatus.ACTIVE:
                return None
            template._skip_done_periods()
            start = template.period_start(template.next_period)
            if start is None or start > today:
                before = (template.status, template.next_run_on, template.next_period)
                template._settle_schedule(today)
                if (template.status, template.next_run_on, template.next_period) != before:
                    template._save(actor, "run")
                return None
            invoice = template._invoice_period(start, actor=actor)
            template.next_period += 1
            template.last_invoice = invoice
            template._settle_schedule(today)
            template._save(actor, "run")
        return invoice

    def _invoice_period(self, start, *, actor):
        """The period's invoice, through the invoice's own commands, and its run row."""
        invoice = Invoice.create_draft(
            organization=self.organization,
            customer=self.customer,
            actor=actor,
            lines=[
                {name: getattr(line, name) for name in LINE_INPUT_FIELDS}
                for line in self.lines.all()
            ],
            currency=self.currency,
            issue_date=start,
            due_date=start + timedelta(days=self.days_until_due),
            reference=self.reference,
            notes=self.notes,
            recurring_invoice=self.pk,
        )
        # The exactly-once guard: a second row for this period is refused by the database.
        RecurringRun.objects.create(
            organization_id=self.organization_id,
            template=self,
            period_start=start,
            outcome=RunOutcome.INVOICED,
            invoice=invoice,
        )
        if self.auto_send:
            # The API's send: numbered now, e-mailed after the commit when asked.
            send_invoice(invoice, actor=actor, email=self.auto_email)
        return invoice

    # --- helpers ------------------------------------------------------------------------

    def _check(self):
        if self.interval not in RecurringInterval.values:
            raise InvalidSchedule("Unknown interval.", code="invalid_choice", attr="interval")
        if not 1 <= self.interval_count <= MAX_INTERVAL_COUNT:
            raise InvalidSchedule(
                f"The interval count is a whole number from 1 to {MAX_INTERVAL_COUNT}.",
                attr="interval_count",
            )
        if not 0 <= self.days_until_due <= MAX_DAYS_UNTIL_DUE:
            raise InvalidSchedule(
                f"Days until due lie between 0 and {MAX_DAYS_UNTIL_DUE}.", attr="days_until_due"
            )
        if self.end_date is not None and self.end_date < self.start_date:
            raise InvalidSchedule(
                "The end date cannot be before the start date.",
                code="invalid_dates",
                attr="end_date",
            )
        if self.auto_email and not self.auto_send:
            raise AutoEmailNeedsAutoSend(attr="auto_email")
        if self.auto_email and not self.customer.email:
            raise CustomerHasNoEmail(attr="auto_email")

    def _build_lines(self, lines):
        if not lines:
            raise InvalidLine("A recurring invoice needs at least one line.", attr="lines")
        if len(lines) > MAX_LINES:
            raise InvalidLine(f"At most {MAX_LINES} lines.", attr="lines")
        return super()._build_lines(lines)

    def _check_sendable(self, lines):
        # An auto-sent invoice must be sendable (spec 5.3: a total above zero).
        if self.auto_send and self.total <= 0:
            raise InvoiceEmpty(attr="lines")

    def _save(self, actor, reason):
        self._history_user = actor
        self._change_reason = reason
        self.save()


def _default_days_until_due(fields, customer):
    """No `days_until_due` (or null) is the customer's payment terms."""
    if fields.get("days_until_due") is None:
        fields["days_until_due"] = customer.payment_terms_days


class RecurringInvoiceLine(TaxedLine):
    """A line copied onto every invoice of its template (spec 5.2's figures, for show)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recurring_invoice_lines"
    )
    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = line_constraints("recurring_line")


class RecurringRun(models.Model):
    """One period of one template, done: invoiced (with its invoice) or skipped (paused).
    Only inserted, never changed; the template's lock guards it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recurring_runs"
    )
    template = models.ForeignKey(RecurringInvoice, on_delete=models.PROTECT, related_name="runs")
    period_start = models.DateField()
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices)
    # Null for a skipped period, or when the generated draft was deleted since: the period
    # stays done either way.
    invoice = models.OneToOneField(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "period_start"], name="recurring_run_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=RunOutcome.values), name="recurring_run_outcome_valid"
            ),
        ]

    def __str__(self):
        return f"{self.template_id} {self.period_start} {self.outcome}"


class RecurringRunReport:
    """What `run_recurring` did, for the command's output and the beat job's log."""

    def __init__(self):
        self.created = []  # (template, invoice)
        self.skipped = []  # (template, DomainError)
        self.ended = []  # templates


def run_recurring(*, actor, as_of=None, logger=None):
    """Invoice every due period of every active template, oldest period first, each in its
    own transaction (`run_next_period`). `as_of` replaces each organization's today. Safe
    with several runners at once: they queue on each template's lock, and the unique
    (template, period start) row refuses a second invoice for a period."""
    report = RecurringRunReport()
    # Every organization's today lies within a day of UTC's: a coarse bound in SQL, the
    # exact check per template.
    bound = as_of or timezone.now().date() + timedelta(days=1)
    candidates = (
        RecurringInvoice.objects.filter(status=RecurringStatus.ACTIVE)
        .filter(Q(next_run_on__lte=bound) | Q(next_run_on__isnull=True, end_date__lt=bound))
        .select_related("organization", "customer")
        .order_by("pk")
    )
    for template in candidates.iterator():
        today = as_of or template.organization.today()
        collisions = 0
        while collisions < MAX_COLLISIONS:
            try:
                invoice = template.run_next_period(actor=actor, today=today)
            except DomainError as error:
                report.skipped.append((template, error))
                if logger is not None:
                    logger.warning(
                        "recurring.skipped",
                        recurring_invoice=template.pk,
                        organization=template.organization_id,
                        code=error.code,
                        reason=error.message,
                    )
                break
            except IntegrityError:
                # Another runner wrote this period's row first: it is done; look again.
                collisions += 1
                continue
            if invoice is None:
                template.refresh_from_db(fields=["status"])
                if template.status == RecurringStatus.ENDED:
                    report.ended.append(template)
                break
            report.created.append((template, invoice))
    return report
