"""Bills (vendors' invoices to the organization) and the payments that settle them (spec 19).

A bill mirrors an invoice: lines computed as in 5.2 (the invoice line's own rules, reused),
stored totals, `amount_paid` the plain sum of its immutable payment rows. Every command
locks the bill row (`core.locking`) inside one transaction, checks the locked copy and
saves through `VersionedModel.save`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from bills.exceptions import (
    AlreadyReversed,
    BillEmpty,
    BillHasPayments,
    BillNotEditable,
    BillPaymentImmutable,
    DuplicateBillNumber,
    DuplicateReference,
    InvalidAmount,
    NotReversible,
    Overpayment,
    PaidInFuture,
    TooPrecise,
    VendorArchived,
)
from core.attachments import checked_file_type, stored_path
from core.errors import InvalidStatus
from core.events import log_event
from core.locking import lock
from core.money import (
    MONEY_SHAPE,
    PERCENT_SHAPE,
    ZERO,
    NotANumber,
    document_minor_unit,
    format_plain,
    has_excess_digits,
    parse_decimal,
    quantize,
    validate_currency,
)
from core.transactions import atomic_step
from core.versioning import VersionedModel
from invoices.exceptions import InvalidDates, InvalidLine
from invoices.models import MONEY, ComputedLine, Invoice, Transition
from vendors.models import Vendor


def attachment_path(bill, filename):
    return stored_path("bills", bill, bill.attachment_content_type)


class BillStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


# Approved and live: what the organization owes or has paid, and what reports count.
BOOKED_STATUSES = frozenset({BillStatus.APPROVED, BillStatus.PARTIALLY_PAID, BillStatus.PAID})
PAYABLE_STATUSES = frozenset({BillStatus.APPROVED, BillStatus.PARTIALLY_PAID})
DRAFT_ONLY = frozenset({BillStatus.DRAFT})

# Which command may run from which status (as `invoices.models.TRANSITIONS`).
TRANSITIONS = {
    "update_draft": Transition(DRAFT_ONLY, BillNotEditable),
    "delete_draft": Transition(DRAFT_ONLY, BillNotEditable),
    "approve": Transition(DRAFT_ONLY, lambda: InvalidStatus("Only a draft can be approved.")),
    "void": Transition(
        {BillStatus.DRAFT, BillStatus.APPROVED},
        BillHasPayments,
        {BillStatus.VOID: lambda: InvalidStatus("The bill is already void.")},
    ),
    "pay": Transition(
        PAYABLE_STATUSES,
        lambda: InvalidStatus("Only approved or partially paid bills can be paid."),
    ),
    "reverse": Transition(
        BOOKED_STATUSES,
        lambda: InvalidStatus("Payments of draft or void bills cannot be reversed."),
    ),
}


def status_for_amount_paid(amount_paid, total):
    """A booked bill's status follows from what it has been paid (as spec 5.3's)."""
    if amount_paid <= 0:
        return BillStatus.APPROVED
    if amount_paid < total:
        return BillStatus.PARTIALLY_PAID
    return BillStatus.PAID


class Bill(VersionedModel):
    """A vendor's invoice to the organization; `number` is the vendor's, unique per vendor."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bills")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="bills")
    number = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=BillStatus.choices, default=BillStatus.DRAFT, editable=False
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # The ISO 4217 minor unit the figures were computed with (spec 3), fixed with the currency.
    minor_unit = models.PositiveSmallIntegerField(editable=False)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    # The vendor's document (PDF, PNG or JPEG), through the storage API like receipts.
    attachment = models.FileField(upload_to=attachment_path, blank=True, max_length=200)
    attachment_content_type = models.CharField(max_length=50, blank=True, editable=False)
    subtotal = models.DecimalField(**MONEY, editable=False)
    discount_total = models.DecimalField(**MONEY, editable=False)
    tax_total = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)
    amount_paid = models.DecimalField(**MONEY, editable=False)
    balance_due = models.DecimalField(**MONEY, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    void_reason = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"]),
            models.Index(fields=["organization", "issue_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "number"], name="bill_number_unique_per_vendor"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BillStatus.values), name="bill_status_valid"
            ),
            models.CheckConstraint(condition=Q(minor_unit__lte=4), name="bill_minor_unit_fits"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, tax_total__gte=0, total__gte=0),
                name="bill_totals_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_paid__lte=F("total")),
                name="bill_amount_paid_within_total",
            ),
            models.CheckConstraint(
                condition=Q(balance_due=Round(F("total") - F("amount_paid"), 4)),
                name="bill_balance_is_total_minus_paid",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True)
                | Q(issue_date__isnull=True)
                | Q(due_date__gte=F("issue_date")),
                name="bill_due_not_before_issue",
            ),
        ]

    def __str__(self):
        return f"{self.vendor_id}/{self.number}"

    # One home for the 5.2 figures and the date rule: the invoice's.
    _set_totals = Invoice._set_totals
    _check_dates = Invoice._check_dates

    def can(self, command):
        return self.status in TRANSITIONS[command].sources

    def ensure_can(self, command):
        transition = TRANSITIONS[command]
        if self.status not in transition.sources:
            raise transition.error(self.status)

    # --- drafts -------------------------------------------------------------------------

    @classmethod
    def create_draft(cls, *, organization, vendor, actor, lines=(), attachment=None, **fields):
        """A draft bill with its lines and totals. The vendor must be active."""
        if vendor.organization_id != organization.pk:
            raise ValueError("vendor belongs to another organization")
        fields.setdefault("currency", vendor.currency)
        bill = cls(organization=organization, vendor=vendor, **fields)
        bill._attach(attachment)
        bill.minor_unit = document_minor_unit(bill.currency)
        bill._check_dates()
        built = bill._build_lines(lines)
        bill._set_totals(built)
        with transaction.atomic():
            # Under the vendor's lock, so an archive that committed since is seen.
            bill.vendor = _lock_active_vendor(vendor)
            bill._history_user = actor
            bill._change_reason = "create_draft"
            bill._save_numbered()
            bill._save_lines(built, actor=actor, reason="create_draft")
        return bill

    def update_draft(self, *, actor, lines=None, attachment=None, expected_version=None, **fields):
        """Change a draft's fields and, when `lines` is given, replace all its lines; an
        `attachment` given replaces the bill's."""
        with transaction.atomic():
            bill = self.lock(expected_version=expected_version)
            bill.ensure_can("update_draft")
            bill.ensure_version(self.version)
            bill._attach(attachment)
            vendor = fields.get("vendor")
            if vendor is not None and vendor.pk != bill.vendor_id:
                if vendor.organization_id != bill.organization_id:
                    raise ValueError("vendor belongs to another organization")
                # Lock order: the bill (above), then the vendor it moves to.
                fields["vendor"] = _lock_active_vendor(vendor)
            currency_changed = fields.get("currency", bill.currency) != bill.currency
            for name, value in fields.items():
                setattr(bill, name, value)
            if currency_changed:
                bill.minor_unit = document_minor_unit(bill.currency)
            bill._check_dates()
            if lines is not None:
                built = bill._build_lines(lines)
                bill._delete_lines(actor=actor, reason="update_draft")
            else:
                built = list(bill.lines.all())
                for line in built if currency_changed else ():
                    line.compute(bill.minor_unit)
            bill._set_totals(built)
            bill._history_user = actor
            bill._change_reason = "update_draft"
            bill._save_numbered()
            if lines is not None or currency_changed:
                bill._save_lines(built, actor=actor, reason="update_draft")
        self.refresh_from_db()

    def delete_draft(self, *, actor, expected_version=None):
        with transaction.atomic():
            bill = self.lock(expected_version=expected_version)
            bill.ensure_can("delete_draft")
            bill.ensure_version(self.version)
            bill._delete_lines(actor=actor, reason="delete_draft")
            bill._history_user = actor
            bill._change_reason = "delete_draft"
            bill.delete()

    def _attach(self, attachment):
        if attachment is not None:
            self.attachment_content_type = checked_file_type(attachment, attr="attachment")
            self.attachment = attachment

    def _save_numbered(self):
        """Save; the unique (vendor, number) constraint is the guard, named when it fires."""
        try:
            # A savepoint, so the refusal leaves the caller's transaction usable.
            with transaction.atomic():
                self.save()
        except IntegrityError:
            taken = (
                type(self)
                .objects.filter(vendor_id=self.vendor_id, number=self.number)
                .exclude(pk=self.pk)
                .exists()
            )
            if taken:
                raise DuplicateBillNumber() from None
            raise

    def _build_lines(self, lines):
        built = []
        for position, data in enumerate(lines, start=1):
            line = BillLine(
                bill=self, organization_id=self.organization_id, position=position, **data
            )
            try:
                line.check_values()
            except InvalidLine as error:
                error.attr = f"lines.{position - 1}.{error.attr}"
                raise
            line.compute(self.minor_unit)
            built.append(line)
        return built

    def _save_lines(self, lines, *, actor, reason):
        for line in lines:
            line.bill = self
            line._history_user = actor
            line._change_reason = reason
            line.save()

    def _delete_lines(self, *, actor, reason):
        for line in self.lines.all():
            line._history_user = actor
            line._change_reason = reason
            line.delete()

    # --- lifecycle ----------------------------------------------------------------------

    def approve(self, *, actor, expected_version=None):
        """Draft -> approved: the organization owes it. Dates default like an invoice's."""
        with transaction.atomic():
            bill = self.lock(expected_version=expected_version)
            bill.ensure_can("approve")
            if not bill.lines.exists() or bill.total <= 0:
                raise BillEmpty()
            bill.issue_date = bill.issue_date or bill.organization.today()
            if bill.due_date is None:
                try:
                    bill.due_date = bill.issue_date + timedelta(days=bill.vendor.payment_terms_days)
                except OverflowError:  # an issue date at the end of the calendar
                    raise InvalidDates("The due date would be past year 9999.") from None
            bill._check_dates()
            bill.status = BillStatus.APPROVED
            bill.approved_at = timezone.now()
            bill._record_transition("approve", "bill.approved", actor=actor)
        self.refresh_from_db()

    def void(self, *, reason, actor, expected_version=None):
        """Draft or never-paid approved bill -> void."""
        with transaction.atomic():
            bill = self.lock(expected_version=expected_version)
            bill.ensure_can("void")
            # Any payment row, even one later reversed, makes the bill part of the books.
            if bill.payments.exists():
                raise BillHasPayments()
            bill.status = BillStatus.VOID
            bill.voided_at = timezone.now()
            bill.void_reason = reason or ""
            bill._record_transition("void", "bill.voided", actor=actor)
        self.refresh_from_db()

    def _record_transition(self, command, event, *, actor):
        self._history_user = actor
        self._change_reason = command
        self.save()
        log_event(event, organization=self.organization_id, bill=self.pk, actor=actor.pk)

    def apply_payments(self, *, actor, reason):
        """Recompute amount_paid, balance_due, status and paid_at from the payment rows;
        call with the bill locked, in the transaction that wrote the row."""
        paid = self.payments.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
        # SQLite sums decimals in floating point: the minor unit gives back the exact sum.
        paid = quantize(paid, self.minor_unit)
        self.amount_paid = paid
        self.balance_due = self.total - paid
        self.status = status_for_amount_paid(paid, self.total)
        self.paid_at = (self.paid_at or timezone.now()) if self.status == BillStatus.PAID else None
        self._history_user = actor
        self._change_reason = reason
        self.save()


class BillLine(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bill_lines"
    )
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(**MONEY_SHAPE)
    unit_price = models.DecimalField(**MONEY_SHAPE)
    discount_percent = models.DecimalField(**PERCENT_SHAPE, default=ZERO)
    tax_rate = models.DecimalField(**PERCENT_SHAPE, default=ZERO)
    amount = models.DecimalField(**MONEY, editable=False)
    discount_amount = models.DecimalField(**MONEY, editable=False)
    tax_amount = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bill_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="bill_line_unit_price_non_negative"
            ),
        ]

    def __str__(self):
        return self.description

    # Spec 19: a bill's lines are an invoice's lines (5.2); the rules have one home.
    check_values = ComputedLine.check_values
    compute = ComputedLine.compute


def _lock_active_vendor(vendor):
    """`vendor` re-read under its row lock; 400 `vendor_archived` if it is archived."""
    locked = vendor.lock()
    if locked.is_archived:
        raise VendorArchived(attr="vendor")
    return locked


class BillPaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REVERSAL = "reversal", "Reversal"


class BillPaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class BillPaymentQuerySet(models.QuerySet):
    """Bulk writes would bypass the immutability and the history trail."""

    def update(self, **kwargs):
        raise BillPaymentImmutable()

    def delete(self):
        raise BillPaymentImmutable()


class BillPayment(models.Model):
    """One immutable payment out on a bill (a reversal is negative and names its payment)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bill_payments"
    )
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=BillPaymentKind.choices)
    amount = models.DecimalField(**MONEY_SHAPE)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=20, choices=BillPaymentMethod.choices)
    paid_on = models.DateField()
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BillPaymentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "paid_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "reference"],
                condition=~Q(reference=""),
                name="bill_payment_reference_unique_per_bill",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", amount__gt=0, reverses__isnull=True)
                | Q(kind="reversal", amount__lt=0, reverses__isnull=False),
                name="bill_payment_kind_sign_and_link",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency} on bill {self.bill_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise BillPaymentImmutable()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise BillPaymentImmutable()

    @classmethod
    def pay(
        cls,
        bill,
        *,
        amount,
        method,
        actor,
        reference="",
        paid_on=None,
        notes="",
        expected_version=None,
    ):
        """Pay (part of) an approved bill: within its balance due, dated today or earlier."""
        with atomic_step():
            # The bill's lock guards its payments (core.locking): concurrent payments queue
            # here and each checks the balance the previous one left.
            bill = bill.lock(expected_version=expected_version)
            bill.ensure_can("pay")
            amount = _checked_amount(amount, bill.minor_unit)
            if amount > bill.balance_due:
                raise Overpayment(attr="amount")
            today = bill.organization.today()
            paid_on = paid_on or today
            if paid_on > today:
                raise PaidInFuture(attr="paid_on")
            payment = cls(
                kind=BillPaymentKind.PAYMENT,
                amount=amount,
                method=method,
                reference=reference or "",
                paid_on=paid_on,
                notes=notes or "",
            )
            return payment._record(bill, actor=actor, reason="pay")

    def reverse(self, *, actor, reason=""):
        """Cancel this payment with a reversal of the opposite amount, dated today; once."""
        with atomic_step():
            bill = lock(Bill, pk=self.bill_id)
            original = type(self).objects.get(pk=self.pk)
            if original.kind != BillPaymentKind.PAYMENT:
                raise NotReversible()
            if type(self).objects.filter(reverses=original).exists():
                raise AlreadyReversed()
            bill.ensure_can("reverse")
            reversal = type(self)(
                kind=BillPaymentKind.REVERSAL,
                amount=-original.amount,
                method=original.method,
                paid_on=bill.organization.today(),
                reverses=original,
                reason=reason or "",
            )
            return reversal._record(bill, actor=actor, reason="reverse")

    def _record(self, bill, *, actor, reason):
        self.bill = bill
        self.organization_id = bill.organization_id
        self.currency = bill.currency
        self.created_by = actor
        self._history_user = actor
        self._change_reason = reason
        try:
            # A savepoint, so a unique constraint's refusal leaves the transaction usable.
            with transaction.atomic():
                self.save()
        except IntegrityError:
            if (
                self.reverses_id
                and type(self).objects.filter(reverses_id=self.reverses_id).exists()
            ):
                raise AlreadyReversed() from None
            if self.reference and bill.payments.filter(reference=self.reference).exists():
                raise DuplicateReference() from None
            raise
        type(self).reversed_by.related.set_cached_value(self, None)
        bill.apply_payments(actor=actor, reason=reason)
        log_event(
            f"bill_payment.{'reversed' if self.reverses_id else 'recorded'}",
            organization=self.organization_id,
            bill=bill.pk,
            bill_payment=self.pk,
            currency=self.currency,
            amount=format_plain(self.amount, bill.minor_unit),
            actor=actor.pk,
        )
        return self


def _checked_amount(amount, minor_unit):
    """A positive amount with no non-zero digits beyond the bill's minor unit (never rounded)."""
    try:
        amount = parse_decimal(amount)
    except NotANumber:
        raise InvalidAmount(attr="amount") from None
    if amount <= 0:
        raise InvalidAmount(attr="amount")
    if has_excess_digits(amount, minor_unit):
        raise TooPrecise(attr="amount")
    return amount
