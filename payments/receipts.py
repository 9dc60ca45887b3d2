"""Receipts (spec 14): one transfer from a customer, allocated over several of its invoices.

Each allocation is a payment row on its invoice (`Payment.receipt`), under every rule of a
payment; the unallocated rest is a `receipt` entry on the customer's credit. A receipt is
recorded whole or not at all, and reversed whole or not at all.
"""

from collections import Counter

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.errors import DomainError
from core.events import log_event
from core.locking import lock
from core.money import MONEY_PLACES, MONEY_SHAPE, ZERO, document_minor_unit, format_plain
from core.outbox import emit
from core.payment_rows import checked_amount
from core.transactions import atomic_step
from customers.models import Customer
from invoices.models import Invoice
from payments.credit import CreditKind, locked_balance, post_entry
from payments.exceptions import (
    AllocationExceedsReceipt,
    CreditAlreadyUsed,
    InvalidAllocation,
    InvalidMethod,
    ReceiptAlreadyReversed,
    ReceivedInFuture,
)
from payments.payloads import receipt_payload

MAX_ALLOCATIONS = 500


class Receipt(models.Model):
    """Money received from a customer in one transfer. Immutable but for its reversal
    (`reversed_at`, `reversal_reason`), which its row lock serializes."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="receipts"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="receipts")
    currency = models.CharField(max_length=3)
    # ISO's minor unit when the receipt was recorded (spec 3).
    minor_unit = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY_SHAPE)
    allocated = models.DecimalField(**MONEY_SHAPE)
    unallocated = models.DecimalField(**MONEY_SHAPE)
    method = models.CharField(max_length=20)
    reference = models.CharField(max_length=100, blank=True)
    received_on = models.DateField()
    notes = models.TextField(blank=True, max_length=5000)
    reversed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reversal_reason = models.CharField(max_length=500, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, allocated__gte=0, unallocated__gte=0),
                name="receipt_amounts_non_negative",
            ),
            # Rounded to the stored scale: SQLite adds decimals in binary floating point
            # (0.20 + 0.01 != 0.21 there); PostgreSQL's numeric sum is exact either way.
            models.CheckConstraint(
                condition=Q(amount=Round(F("allocated") + F("unallocated"), MONEY_PLACES)),
                name="receipt_amount_is_allocated_plus_unallocated",
            ),
        ]

    def __str__(self):
        return (
            f"receipt {format_plain(self.amount, self.minor_unit)} {self.currency} "
            f"from {self.customer}"
        )

    @classmethod
    def record(
        cls,
        customer,
        *,
        currency,
        amount,
        method,
        actor,
        allocations=(),
        reference="",
        received_on=None,
        notes="",
    ):
        """Record a receipt of `amount` from `customer`, allocated over its invoices
        (`allocations`: [{"invoice": Invoice or id, "amount": ...}]), the rest put on the
        customer's credit. Any refused allocation refuses the whole receipt: its error
        names the allocation (`attr` "allocations.<i>.<field>"). Returns the receipt."""
        minor_unit = document_minor_unit(currency)
        amount = checked_amount(amount, minor_unit)
        if method not in PaymentMethod.values:
            raise InvalidMethod(attr="method")
        today = customer.organization.today()
        received_on = received_on or today
        if received_on > today:
            raise ReceivedInFuture(attr="received_on")
        wanted = _read_allocations(customer, currency, allocations)
        allocated = sum((share for _, share in wanted), ZERO)
        if allocated > amount:
            raise AllocationExceedsReceipt(attr="allocations")
        with atomic_step():
            receipt = cls(
                organization_id=customer.organization_id,
                customer=customer,
                currency=currency,
                minor_unit=minor_unit,
                amount=amount,
                allocated=allocated,
                unallocated=amount - allocated,
                method=method,
                reference=reference or "",
                received_on=received_on,
                notes=notes or "",
                created_by=actor,
            )
            receipt._history_user = actor
            receipt._change_reason = "receipt"
            receipt.save()
            # The lock order of every multi-invoice command: ascending id (core.locking).
            order = sorted(range(len(wanted)), key=lambda i: wanted[i][0])
            rows = {}
            for index in order:
                invoice_id, share = wanted[index]
                invoice = lock(Invoice, pk=invoice_id)
                with _naming_allocation(index):
                    rows[index] = Payment.pay_locked(
                        invoice,
                        amount=share,
                        method=method,
                        actor=actor,
                        reference=reference,
                        received_on=received_on,
                        receipt=receipt,
                    )
            if receipt.unallocated:
                balance = locked_balance(customer, currency, minor_unit=minor_unit)
                post_entry(
                    balance,
                    amount=receipt.unallocated,
                    kind=CreditKind.RECEIPT,
                    actor=actor,
                    booked_on=received_on,
                    receipt=receipt,
                    method=method,
                    reference=reference or "",
                )
            # In the order they were written (ascending invoice id), as `GET receipts/{id}/`
            # lists them.
            receipt.allocation_rows = sorted(rows.values(), key=lambda row: row.pk)
            emit(
                "receipt.created",
                organization_id=receipt.organization_id,
                data=receipt_payload(receipt, receipt.allocation_rows),
            )
            log_event(
                "receipt.recorded",
                organization=receipt.organization_id,
                customer=customer.pk,
                receipt=receipt.pk,
                currency=currency,
                amount=format_plain(amount, minor_unit),
                allocated=format_plain(allocated, minor_unit),
                actor=actor.pk,
            )
        return receipt

    def reverse(self, *, actor, reason=""):
        """Reverse the whole receipt: every allocation (a reversal row each) and its
        unallocated rest taken back out of the customer's credit (a `reversed` entry).
        Refused whole: `credit_already_used` when the customer's credit in the currency is
        below the unallocated rest. Returns the receipt, reversed."""
        with atomic_step():
            # Lock order: the receipt, its invoices in ascending id, the customer's balance.
            receipt = lock(type(self), pk=self.pk)
            if receipt.reversed_at is not None:
                raise ReceiptAlreadyReversed()
            allocations = sorted(receipt.payments.all(), key=lambda row: row.invoice_id)
            for row in allocations:
                invoice = lock(Invoice, pk=row.invoice_id)
                row.reverse_locked(invoice, actor=actor, reason=reason)
            if receipt.unallocated:
                balance = locked_balance(
                    receipt.customer, receipt.currency, minor_unit=receipt.minor_unit
                )
                if balance.amount < receipt.unallocated:
                    raise CreditAlreadyUsed()
                post_entry(
                    balance,
                    amount=-receipt.unallocated,
                    kind=CreditKind.REVERSED,
                    actor=actor,
                    receipt=receipt,
                    reason=reason or "",
                )
            receipt.reversed_at = timezone.now()
            receipt.reversal_reason = reason or ""
            receipt._history_user = actor
            receipt._change_reason = "reverse"
            receipt.save(update_fields=["reversed_at", "reversal_reason"])
            log_event(
                "receipt.reversed",
                organization=receipt.organization_id,
                receipt=receipt.pk,
                actor=actor.pk,
            )
        return receipt


def _read_allocations(customer, currency, allocations):
    """[(invoice id, amount)] of `allocations`, each checked against the receipt: an invoice
    of the customer, in the currency, named once, with a valid amount. Reads no lock: the
    rules that depend on the invoice's state are checked again under its lock."""
    if len(allocations) > MAX_ALLOCATIONS:
        raise InvalidAllocation(
            f"A receipt has at most {MAX_ALLOCATIONS} allocations.", attr="allocations"
        )
    ids = [getattr(item["invoice"], "pk", item["invoice"]) for item in allocations]
    invoices = Invoice.objects.filter(organization_id=customer.organization_id).in_bulk(ids)
    seen = Counter(ids)
    wanted = []
    for index, (invoice_id, item) in enumerate(zip(ids, allocations, strict=True)):
        invoice = invoices.get(invoice_id)
        if invoice is None or invoice.customer_id != customer.pk:
            raise InvalidAllocation(
                "The invoice is not one of the receipt's customer.",
                attr=f"allocations.{index}.invoice",
            )
        if invoice.currency != currency:
            raise InvalidAllocation(
                "The invoice is not in the receipt's currency.",
                attr=f"allocations.{index}.invoice",
            )
        if seen[invoice_id] > 1:
            raise InvalidAllocation(
                "Each invoice is allocated at most once per receipt.",
                attr=f"allocations.{index}.invoice",
            )
        share = checked_amount(
            item["amount"], invoice.minor_unit, attr=f"allocations.{index}.amount"
        )
        wanted.append((invoice_id, share))
    return wanted


class _naming_allocation:
    """Re-label a refusal raised for allocation `index` with its place in the input."""

    def __init__(self, index):
        self.index = index

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, DomainError):
            error.attr = f"allocations.{self.index}.{error.attr or 'invoice'}"
        return False


# Below the model: payments.models imports this module once `Payment` exists.
from payments.models import Payment, PaymentMethod  # noqa: E402
