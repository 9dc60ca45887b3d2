"""Customer credit (spec 14): money held for a customer that no invoice owes.

Per customer and currency, an append-only ledger of entries (`CreditEntry`, + in / - out)
whose sum is the customer's credit, and one balance row (`CustomerCredit`) that holds that
sum. Every entry is posted with the balance row locked (lock order: core.locking), and a
check constraint keeps the balance at or above zero: the lock makes two spenders queue,
the constraint is the last guard.

The entries link the documents that moved the money: the invoice and payment row (an
overpayment's excess, a `credit` row applied, its reversal), the receipt (its unallocated
rest, that rest taken back when the receipt is reversed), and a credit note (which names
its entry: `CreditNote.credit_entry`, as credit notes live above this app).

Cash (spec 9) among the entries: `overpayment` and `receipt` in, `refunded` out, and the
`reversed` entry of a receipt's reversal out (`CASH_ENTRIES`). `credit_note`, `applied` and
the `reversed` entry that returns a reversed `credit` row are not cash.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from core.events import log_event
from core.locking import lock
from core.money import MONEY_SHAPE, ZERO, document_minor_unit, format_plain
from core.payment_rows import checked_amount
from core.transactions import atomic_step
from customers.models import Customer
from invoices.models import Invoice
from payments.exceptions import (
    InsufficientCredit,
    InvalidMethod,
    PaymentImmutable,
)
from payments.methods import PaymentMethod


class CreditKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Credit note"
    OVERPAYMENT = "overpayment", "Overpayment"
    RECEIPT = "receipt", "Receipt"
    APPLIED = "applied", "Applied to an invoice"
    REFUNDED = "refunded", "Refunded"
    REVERSED = "reversed", "Reversed"


# The kinds money comes in by, from outside this ledger's own commands (`credit_customer`).
INCOMING_KINDS = frozenset({CreditKind.CREDIT_NOTE, CreditKind.OVERPAYMENT, CreditKind.RECEIPT})

# Entries that are cash (spec 9): money that crossed the customer's bank account.
CASH_ENTRIES = Q(kind__in=[CreditKind.OVERPAYMENT, CreditKind.RECEIPT, CreditKind.REFUNDED]) | Q(
    kind=CreditKind.REVERSED, receipt__isnull=False
)


class CreditEntryQuerySet(models.QuerySet):
    """Bulk writes would bypass the entries' immutability and the history trail."""

    def update(self, **kwargs):
        raise PaymentImmutable("Credit entries cannot be changed or deleted.")

    def delete(self):
        raise PaymentImmutable("Credit entries cannot be changed or deleted.")


class CustomerCredit(models.Model):
    """A customer's credit in one currency: the sum of its entries, locked by every post."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="customer_credits"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credits")
    currency = models.CharField(max_length=3)
    # ISO's minor unit when the customer's first entry in the currency was posted (spec 3).
    minor_unit = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY_SHAPE, default=ZERO)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "currency"], name="customer_credit_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="customer_credit_never_negative"
            ),
        ]

    def __str__(self):
        return f"{format_plain(self.amount, self.minor_unit)} {self.currency}"


class CreditEntry(models.Model):
    """One immutable movement of a customer's credit."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credit_entries"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_entries")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY_SHAPE)
    kind = models.CharField(max_length=12, choices=CreditKind.choices)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries"
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    receipt = models.ForeignKey(
        "payments.Receipt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    # How cash moved (an overpayment, a receipt, a refund of credit) and the bank's or
    # processor's reference for it.
    method = models.CharField(max_length=20, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    # The date the entry counts on in reports: when its cash was received (an overpayment,
    # a receipt), else the organization's today when it was posted.
    booked_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditEntryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "credit entries"
        indexes = [
            models.Index(fields=["organization", "booked_on"]),
            models.Index(fields=["customer", "currency"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["credit_note", "overpayment", "receipt"], amount__gt=0)
                | Q(kind__in=[CreditKind.APPLIED, CreditKind.REFUNDED], amount__lt=0)
                | (Q(kind=CreditKind.REVERSED) & ~Q(amount=0)),
                name="credit_entry_kind_sign",
            ),
            # A receipt's unallocated rest is taken back at most once.
            models.UniqueConstraint(
                fields=["receipt"],
                condition=Q(kind="reversed"),
                name="credit_entry_one_reversal_per_receipt",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency} for {self.customer_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PaymentImmutable("Credit entries cannot be changed or deleted.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PaymentImmutable("Credit entries cannot be changed or deleted.")


def locked_balance(customer, currency, *, minor_unit=None) -> CustomerCredit:
    """The customer's balance row in `currency`, created at 0 when missing, read locked
    (inside a transaction; lock order: core.locking). `minor_unit` is the stored one of the
    document the money comes from; a new balance row otherwise takes ISO's
    (`UnsupportedCurrency` for a code no new document may be in)."""
    existing = CustomerCredit.objects.filter(customer=customer, currency=currency).exists()
    if not existing:
        unit = document_minor_unit(currency) if minor_unit is None else minor_unit
        # A concurrent first entry may insert the row first: get_or_create's savepoint
        # turns the unique constraint's refusal into reading that row.
        CustomerCredit.objects.get_or_create(
            customer=customer,
            currency=currency,
            defaults={"organization_id": customer.organization_id, "minor_unit": unit},
        )
    return lock(CustomerCredit, customer=customer, currency=currency)


def post_entry(balance, *, amount, kind, actor, booked_on=None, **fields) -> CreditEntry:
    """Insert one entry of signed `amount` on the locked `balance` row and move the balance.
    Call inside the command's transaction, with `balance` from `locked_balance`. Refuses
    (`InsufficientCredit`) an entry that would take the balance below zero."""
    if balance.amount + amount < 0:
        raise InsufficientCredit(attr="amount")
    customer = balance.customer
    entry = CreditEntry(
        organization_id=balance.organization_id,
        customer_id=balance.customer_id,
        currency=balance.currency,
        amount=amount,
        kind=kind,
        booked_on=booked_on or customer.organization.today(),
        created_by=actor,
        **fields,
    )
    entry._history_user = actor
    entry._change_reason = kind
    entry.save()
    balance.amount += amount
    balance.save(update_fields=["amount"])
    log_event(
        "credit.posted",
        organization=balance.organization_id,
        customer=balance.customer_id,
        credit_entry=entry.pk,
        kind=kind,
        currency=balance.currency,
        amount=format_plain(amount, balance.minor_unit),
        actor=actor.pk if actor else None,
    )
    return entry


def credit_customer(
    customer,
    *,
    currency,
    amount,
    kind,
    actor,
    invoice=None,
    payment=None,
    receipt=None,
    method="",
    reference="",
    received_on=None,
    reason="",
    minor_unit=None,
) -> CreditEntry:
    """Put `amount` (positive) on `customer`'s credit in `currency` as an entry of `kind`
    (`credit_note`, `overpayment` or `receipt`), dated `received_on` (default today).
    Atomic; when called inside a caller's transaction, call it after the caller's invoice
    locks (lock order: core.locking). Returns the entry."""
    if kind not in INCOMING_KINDS:
        raise ValueError(f"{kind!r} is not a kind credit comes in by")
    if method and method not in PaymentMethod.values:
        raise InvalidMethod(attr="method")
    with atomic_step():
        if invoice is not None and minor_unit is None:
            minor_unit = invoice.minor_unit
        balance = locked_balance(customer, currency, minor_unit=minor_unit)
        amount = checked_amount(amount, balance.minor_unit)
        balance.customer = customer
        return post_entry(
            balance,
            amount=amount,
            kind=kind,
            actor=actor,
            booked_on=received_on,
            invoice=invoice,
            payment=payment,
            receipt=receipt,
            method=method or "",
            reference=reference or "",
            reason=reason or "",
        )


def refund_credit(customer, *, currency, amount, method, actor, reference="", reason=""):
    """Pay part or all of `customer`'s credit in `currency` back (cash out): a `refunded`
    entry dated today. More than the credit -> `InsufficientCredit`. Returns the entry."""
    if method not in PaymentMethod.values:
        raise InvalidMethod(attr="method")
    with atomic_step():
        try:
            balance = lock(CustomerCredit, customer=customer, currency=currency)
        except CustomerCredit.DoesNotExist:
            raise InsufficientCredit(attr="amount") from None
        amount = checked_amount(amount, balance.minor_unit)
        balance.customer = customer
        return post_entry(
            balance,
            amount=-amount,
            kind=CreditKind.REFUNDED,
            actor=actor,
            method=method,
            reference=reference or "",
            reason=reason or "",
        )


def credit_balances(customer):
    """{currency: amount} of the customer's credit, read without locks."""
    return dict(CustomerCredit.objects.filter(customer=customer).values_list("currency", "amount"))
