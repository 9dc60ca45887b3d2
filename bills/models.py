"""Bills (vendors' invoices to the organization) and the payments that settle them (spec 19).

A bill mirrors an invoice: a document with lines (`core.documents`: lines computed as in
5.2, the draft commands, the dates), stored totals, `amount_paid` the plain sum of its
immutable payment rows. Every command locks the bill row (`core.locking`) inside one
transaction, checks the locked copy and saves through `VersionedModel.save`.
"""

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
    NotReversible,
    Overpayment,
    PaidInFuture,
    VendorArchived,
)
from core.attachments import checked_file_type, stored_path
from core.documents import MONEY, DocumentLine, LinedDocument, Transition, line_constraints
from core.errors import InvalidStatus
from core.events import log_event
from core.money import ZERO, format_plain, quantize, validate_currency
from core.payment_rows import PaymentRow, checked_amount
from core.transactions import atomic_step
from core.versioning import VersionedModel
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


class Bill(LinedDocument, VersionedModel):
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

    # `can`, `ensure_can` and the drafts' commands: LinedDocument.
    party_field = "vendor"
    transitions = TRANSITIONS

    @classmethod
    def ensure_party_active(cls, party):
        if party.is_archived:
            raise VendorArchived(attr="vendor")

    def _set_draft_fields(self, fields):
        """An `attachment` given replaces the bill's (its type checked by content)."""
        attachment = fields.pop("attachment", None)
        if attachment is not None:
            self.attachment_content_type = checked_file_type(attachment, attr="attachment")
            self.attachment = attachment
        super()._set_draft_fields(fields)

    def _save_document(self):
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

    # --- lifecycle ----------------------------------------------------------------------

    def approve(self, *, actor, expected_version=None):
        """Draft -> approved: the organization owes it. Dates default like an invoice's."""
        with transaction.atomic():
            bill = self.lock(expected_version=expected_version)
            bill.ensure_can("approve")
            if not bill.lines.exists() or bill.total <= 0:
                raise BillEmpty()
            bill._default_dates()
            bill.status = BillStatus.APPROVED
            bill.approved_at = timezone.now()
            bill._record_transition("approve", "bill.approved", actor=actor)
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


class BillLine(DocumentLine):
    """A bill's line: an invoice's line (spec 19: "lines (5.2)"), the same inputs, figures
    and rules (`core.documents.DocumentLine`)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bill_lines"
    )
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = line_constraints("bill_line")


class BillPaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REVERSAL = "reversal", "Reversal"


class BillPaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class BillPayment(PaymentRow):
    """One immutable payment out on a bill (`core.payment_rows`, as a customer payment);
    a reversal is negative and names its payment."""

    document_field = "bill"
    date_field = "paid_on"
    immutable_error = BillPaymentImmutable
    not_reversible_error = NotReversible
    already_reversed_error = AlreadyReversed
    duplicate_reference_error = DuplicateReference

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bill_payments"
    )
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=BillPaymentKind.choices)
    method = models.CharField(max_length=20, choices=BillPaymentMethod.choices)
    paid_on = models.DateField()

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
            amount = checked_amount(amount, bill.minor_unit)
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

    def _record(self, bill, *, actor, reason):
        self._insert(bill, actor=actor, reason=reason)
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
