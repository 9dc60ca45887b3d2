"""Payments, refunds and reversals: immutable rows whose sum is an invoice's amount_paid.

With spec 14 a row may also be customer credit applied to an invoice (kind `credit`), or
one allocation of a receipt (`receipt`, payments/receipts.py); the customer credit ledger
they move is payments/credit.py.
"""

from django.db import models
from django.db.models import Q, Sum
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.events import log_event
from core.money import ZERO, format_plain, quantize
from core.outbox import emit
from core.payment_rows import PaymentRow, checked_amount
from core.transactions import atomic_step
from invoices.models import Invoice
from payments.credit import CreditKind, locked_balance, post_entry
from payments.exceptions import (
    AlreadyReversed,
    DuplicateReference,
    InsufficientCredit,
    InvalidExcess,
    InvalidMethod,
    NotReversible,
    Overpayment,
    PartOfReceipt,
    PaymentImmutable,
    ReceivedBeforeIssue,
    ReceivedInFuture,
    RefundExceedsPaid,
    ReversalExceedsPaid,
)
from payments.methods import PaymentMethod
from payments.payloads import payment_payload


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    REVERSAL = "reversal", "Reversal"
    # Customer credit applied to the invoice (spec 14): settles it, but is no cash.
    CREDIT = "credit", "Credit applied"


# The kinds `payments/{id}/reverse/` takes.
REVERSIBLE_KINDS = frozenset({PaymentKind.PAYMENT, PaymentKind.CREDIT})

# Payment rows that are cash (spec 9): all but `credit` rows and the reversals of them.
CASH_ROWS = ~Q(kind=PaymentKind.CREDIT) & ~Q(reverses__kind=PaymentKind.CREDIT)

# The domain event each kind of row is logged as (core/events.py).
EVENT_NAMES = {
    PaymentKind.CREDIT: "payment.credit_applied",
    PaymentKind.PAYMENT: "payment.recorded",
    PaymentKind.REFUND: "payment.refunded",
    PaymentKind.REVERSAL: "payment.reversed",
}
# The outbox event each kind of row is (spec 16).
OUTBOX_EVENTS = {
    PaymentKind.CREDIT: "payment.created",
    PaymentKind.PAYMENT: "payment.created",
    PaymentKind.REFUND: "payment.refunded",
    PaymentKind.REVERSAL: "payment.reversed",
}


class Payment(PaymentRow):
    """One immutable money movement on an invoice (`core.payment_rows`).

    Rows are only ever inserted, through `pay`, `refund` and `reverse`; a mistake is
    corrected by a reversal, so the ledger keeps every event.
    """

    document_field = "invoice"
    date_field = "received_on"
    immutable_error = PaymentImmutable
    not_reversible_error = NotReversible
    already_reversed_error = AlreadyReversed
    duplicate_reference_error = DuplicateReference

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)
    received_on = models.DateField()
    # Money moved on an invoice after its write-off (spec 14): reports count it as
    # `recovered` (refunds and reversals negative), statements add a `recovery` line.
    recovery = models.BooleanField(default=False, editable=False)
    # The receipt this row is an allocation of (spec 14): reversed only through it.
    receipt = models.ForeignKey(
        "payments.Receipt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="payments",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "received_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_unique_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["payment", "credit"], amount__gt=0, reverses__isnull=True)
                | Q(kind="refund", amount__lt=0, reverses__isnull=True)
                | Q(kind="reversal", amount__lt=0, reverses__isnull=False),
                name="payment_kind_sign_and_link",
            ),
        ]

    def __str__(self):
        # With the invoice's digits ("payment 10.50 USD"), as the API writes money.
        amount = format_plain(self.amount, self.invoice.minor_unit)
        return f"{self.kind} {amount} {self.currency} on {self.invoice}"

    # --- commands -----------------------------------------------------------------------

    @classmethod
    def pay(
        cls,
        invoice,
        *,
        amount,
        method,
        actor,
        reference="",
        received_on=None,
        notes="",
        excess=None,
        expected_version=None,
    ):
        """Record money received. The invoice must be sent or partially paid, the amount
        within its balance due, and `received_on` (default today) between the invoice's issue
        date and today. With `excess="credit"` an amount above the balance due is taken: the
        row is the balance due and the rest an `overpayment` entry on the customer's credit
        (the row's `credited_to_balance`). Returns the new row; the invoice is recomputed."""
        if excess not in (None, "credit"):
            raise InvalidExcess(attr="excess")
        with atomic_step():
            # The invoice's lock guards its payments (lock order: core.locking). Every
            # check below reads the locked copy, so concurrent payments queue here.
            invoice = invoice.lock(expected_version=expected_version)
            return cls.pay_locked(
                invoice,
                amount=amount,
                method=method,
                actor=actor,
                reference=reference,
                received_on=received_on,
                notes=notes,
                excess=excess,
            )

    @classmethod
    def pay_locked(
        cls,
        invoice,
        *,
        amount,
        method,
        actor,
        reference="",
        received_on=None,
        notes="",
        excess=None,
        receipt=None,
    ):
        """`pay` for a caller that holds `invoice`'s lock: a receipt allocating over several
        invoices (`receipt`), which took them in ascending id order."""
        invoice.ensure_can("pay")
        amount = checked_amount(amount, invoice.minor_unit)
        if method not in PaymentMethod.values:
            raise InvalidMethod(attr="method")
        # On an uncollectible invoice the bound is what was written off (a recovery).
        bound = invoice.balance_due + invoice.written_off_total
        credited = ZERO
        if amount > bound:
            if excess != "credit":
                raise Overpayment(attr="amount")
            amount, credited = bound, amount - bound
        today = invoice.organization.today()
        received_on = received_on or today
        if received_on > today:
            raise ReceivedInFuture(attr="received_on")
        # Money received before the invoice existed is a customer receipt, not a payment.
        if received_on < invoice.issue_date:
            raise ReceivedBeforeIssue(attr="received_on")
        payment = cls(
            kind=PaymentKind.PAYMENT,
            amount=amount,
            method=method,
            reference=reference or "",
            received_on=received_on,
            notes=notes or "",
            receipt=receipt,
        )
        # Before the row's event is written: `payment.created` shows it as pay/ answers.
        payment.credited_to_balance = credited
        payment._record(invoice, actor=actor, reason="pay")
        if credited:
            # After the invoice's lock, the customer's balance row (core.locking).
            balance = locked_balance(invoice.customer, invoice.currency)
            post_entry(
                balance,
                amount=credited,
                kind=CreditKind.OVERPAYMENT,
                actor=actor,
                booked_on=received_on,
                invoice=invoice,
                payment=payment,
                method=method,
                reference=reference or "",
            )
        return payment

    @classmethod
    def apply_credit(cls, invoice, *, amount, actor, expected_version=None):
        """Move customer credit in the invoice's currency onto it (spec 14): a `credit` row
        and an `applied` entry. More than the credit -> `insufficient_credit`, more than the
        balance due -> `overpayment`. Returns the row; the invoice is recomputed."""
        with atomic_step():
            invoice = invoice.lock(expected_version=expected_version)
            invoice.ensure_can("pay")
            amount = checked_amount(amount, invoice.minor_unit)
            if amount > invoice.balance_due + invoice.written_off_total:
                raise Overpayment(attr="amount")
            # Lock order: the invoice, then the customer's balance row (core.locking).
            balance = locked_balance(
                invoice.customer, invoice.currency, minor_unit=invoice.minor_unit
            )
            if balance.amount < amount:
                raise InsufficientCredit(attr="amount")
            row = cls(
                kind=PaymentKind.CREDIT,
                amount=amount,
                received_on=invoice.organization.today(),
            )
            row._record(invoice, actor=actor, reason="apply_credit")
            post_entry(
                balance,
                amount=-amount,
                kind=CreditKind.APPLIED,
                actor=actor,
                invoice=invoice,
                payment=row,
            )
            return row

    @classmethod
    def refund(cls, invoice, *, amount, actor, reference="", reason="", expected_version=None):
        """Return money to the customer: a negative row dated today, at most amount_paid."""
        with atomic_step():
            # Lock the invoice before reading amount_paid (as `pay`).
            invoice = invoice.lock(expected_version=expected_version)
            invoice.ensure_can("refund")
            amount = checked_amount(amount, invoice.minor_unit)
            return cls.refund_locked(
                invoice, amount=amount, actor=actor, reference=reference, reason=reason
            )

    @classmethod
    def refund_locked(
        cls, invoice, *, amount, actor, reference="", reason="", for_credit_note=False
    ):
        """The refund row of `refund`, for a caller that holds `invoice`'s lock and checked
        its status. A credit note refunds its rest this way (`for_credit_note`): its row
        is no recovery (the note, not the refund, settles what was written off), and the
        note recomputes the invoice itself once its own row is saved."""
        # Bounded by the invoice's cash paid: its payment rows minus refunds and reversals,
        # credit applied excluded (spec 14).
        if amount > cash_paid(invoice):
            raise RefundExceedsPaid(attr="amount")
        refund = cls(
            kind=PaymentKind.REFUND,
            amount=-amount,
            reference=reference or "",
            received_on=invoice.organization.today(),
            reason=reason or "",
        )
        if for_credit_note:
            return refund._record(
                invoice, actor=actor, reason="credit_note", recovery=False, recompute=False
            )
        return refund._record(invoice, actor=actor, reason="refund")

    reversible_kinds = REVERSIBLE_KINDS

    def _check_reversible(self):
        """A receipt's allocation is reversed only with its receipt (`part_of_receipt`)."""
        if self.receipt_id is not None:
            raise PartOfReceipt()

    def _check_reversal(self, invoice):
        """A payment's reversal takes back cash: bounded by the cash paid (credit applied is
        no cash to take back); a `credit` row's, by what the invoice was paid."""
        paid = invoice.amount_paid if self.kind == PaymentKind.CREDIT else cash_paid(invoice)
        if paid - self.amount < 0:
            raise ReversalExceedsPaid()

    def _reversed(self, invoice, reversal, *, actor, reason):
        """A `credit` row's amount goes back to the customer's credit (a `reversed` entry),
        never to cash (spec 14)."""
        if self.kind == PaymentKind.CREDIT:
            balance = locked_balance(
                invoice.customer, invoice.currency, minor_unit=invoice.minor_unit
            )
            post_entry(
                balance,
                amount=self.amount,
                kind=CreditKind.REVERSED,
                actor=actor,
                invoice=invoice,
                payment=reversal,
                reason=reason or "",
            )

    def _record(self, invoice, *, actor, reason, recovery=None, recompute=True):
        """Insert this new row on the locked `invoice` and recompute the invoice from its rows.
        `reason` (the command's name) goes on both history rows, so history says why.
        `recovery` defaults to whether the invoice is written off; `recompute=False` leaves
        the recomputation to a caller that writes more rows first (a credit note)."""
        # Money moved once the invoice is written off moves `written_off_total` (spec 14).
        self.recovery = invoice.written_off_on is not None if recovery is None else recovery
        self._insert(invoice, actor=actor, reason=reason)
        # The payment's event first, then the invoice's (`invoice.paid`) it causes.
        emit(
            OUTBOX_EVENTS[self.kind],
            organization_id=self.organization_id,
            data=payment_payload(self, minor_unit=invoice.minor_unit),
        )
        if recompute:
            invoice.apply_payments(actor=actor, reason=reason)
        log_event(
            EVENT_NAMES[self.kind],
            organization=self.organization_id,
            invoice=invoice.pk,
            payment=self.pk,
            currency=self.currency,
            amount=format_plain(self.amount, invoice.minor_unit),
            actor=actor.pk,
        )
        return self


def cash_paid(invoice):
    """The invoice's cash paid (spec 14): its rows but `credit` rows and their reversals.
    Read on the locked invoice: `amount_paid` minus the credit applied net of reversals."""
    if invoice.amount_paid == 0:
        return ZERO
    credit = invoice.payments.filter(~CASH_ROWS).aggregate(total=Sum("amount"))["total"] or ZERO
    return invoice.amount_paid - quantize(credit, invoice.minor_unit)


# Receipts are payment rows' own documents: registered with this app's models.
from payments.receipts import Receipt  # noqa: E402,F401
