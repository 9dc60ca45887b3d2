"""Bank statements and their lines (spec 15): money the bank says came in or went out,
matched to invoices by receipts (spec 14, `payments.receipts`).

This app sits above `credits` and `payments` (a matched line is a receipt); nothing below
imports it.

- `BankStatement.import_file` reads a file (`banking.statements`) and adds each booked entry
  not seen before as a `BankLine`. "Seen before" is the database's word: a unique
  constraint on (organization, account, key), where the key is the bank's entry reference
  or, without one, the booking date, amount, text and the entry's position among the
  statement's identical entries. Two imports of one file at once add each line once.
- `BankLine.match` records the receipt of a line and marks it matched, on the locked line:
  a line is at most one receipt. `BankStatement.match_automatically` matches the incoming
  lines whose text names exactly one open invoice (`banking.matching`).
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from banking.exceptions import AlreadyMatched, OutgoingLine
from banking.matching import InvoiceFinder, automatic_allocation, open_invoices
from banking.statements import FORMATS, parse_statement
from core.errors import DomainError
from core.locking import lock
from core.money import MONEY_SHAPE
from customers.models import Customer
from payments.models import PaymentMethod
from payments.receipts import Receipt

FORMAT_CHOICES = [(name, name) for name in FORMATS]


class BankStatement(models.Model):
    """One import of a statement file: what it held (`entries`), what was new (`added`) and
    how many of those were matched automatically (`matched`)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bank_statements"
    )
    format = models.CharField(max_length=8, choices=FORMAT_CHOICES)
    account = models.CharField(max_length=500)
    entries = models.PositiveIntegerField()
    added = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    # The file's SHA-256, so an operator can tell two imports of one file apart from two files.
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.format} statement {self.account} ({self.created_at:%Y-%m-%d})"

    @classmethod
    def import_file(cls, organization, data: bytes, *, actor, account: str = ""):
        """Read `data` (raises `InvalidStatement`, nothing written) and add its new booked
        entries as unmatched lines, in one transaction. Returns the statement; the caller
        then runs `match_automatically` (each match its own transaction)."""
        parsed = parse_statement(data, account=account)
        with transaction.atomic():
            statement = cls(
                organization=organization,
                format=parsed.format,
                account=parsed.account[:500],
                entries=len(parsed.entries),
                digest=hashlib.sha256(data).hexdigest(),
                created_by=actor,
            )
            statement._history_user = actor
            statement._change_reason = "import"
            statement.save()
            keys = entry_keys(parsed.entries)
            known = set(
                BankLine.objects.filter(
                    organization=organization, key__in=[key for _, key in keys]
                ).values_list("account", "key")
            )
            for position, (entry, key) in enumerate(keys, start=1):
                if (entry.account, key) in known:
                    continue
                if BankLine.add(statement, entry, key=key, position=position, actor=actor):
                    statement.added += 1
            statement._change_reason = "import"
            statement.save(update_fields=["added"])
        return statement

    def match_automatically(self, *, actor) -> int:
        """Match this import's new incoming lines that name exactly one open invoice whose
        balance the amount fits, booked on or after its issue date (spec 15): a receipt of
        the line's amount allocated to that invoice, each line its own transaction. A line
        the receipt's rules refuse (the invoice was paid meanwhile) stays unmatched.
        Returns how many were matched; `matched` counts them."""
        lines = list(self.lines.filter(status=BankLineStatus.UNMATCHED, amount__gt=0))
        if not lines:
            return 0
        finder = InvoiceFinder(
            open_invoices(self.organization_id, currencies={line.currency for line in lines})
        )
        matched = 0
        for line in lines:
            invoice = automatic_allocation(line, finder)
            if invoice is None:
                continue
            try:
                line.match(
                    customer=Customer.objects.get(pk=invoice.customer_id),
                    allocations=[{"invoice": invoice.id, "amount": line.amount}],
                    actor=actor,
                    reason="match_automatically",
                )
            except DomainError:
                continue
            matched += 1
        if matched:
            with transaction.atomic():
                statement = lock(BankStatement, pk=self.pk)
                statement.matched += matched
                statement._history_user = actor
                statement._change_reason = "match_automatically"
                statement.save(update_fields=["matched"])
            self.matched = statement.matched
        return matched


def entry_keys(entries):
    """Each entry with its key of spec 15: the bank's entry reference when it gives one;
    else the booking date, amount, currency, text and the entry's position among the
    statement's identical entries, so two identical transfers on one day are two lines,
    and importing the statement again (or one that also holds other days) finds them."""
    seen = {}
    keyed = []
    for entry in entries:
        if entry.entry_reference:
            parts = ("ref", entry.entry_reference)
        else:
            same = (
                entry.account,
                entry.date,
                entry.amount,
                entry.currency,
                entry.reference,
                entry.counterparty,
            )
            seen[same] = seen.get(same, 0) + 1
            parts = (
                "entry",
                entry.date.isoformat(),
                f"{entry.amount:f}",
                entry.currency,
                entry.reference,
                entry.counterparty,
                str(seen[same]),
            )
        keyed.append((entry, hashlib.sha256("\x1f".join(parts).encode()).hexdigest()))
    return keyed


class BankLineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched"
    MATCHED = "matched", "Matched"
    IGNORED = "ignored", "Ignored"


class BankLine(models.Model):
    """A booked entry of a bank statement: `amount` + in / - out, in `currency`."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bank_lines"
    )
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=500)
    date = models.DateField()
    amount = models.DecimalField(**MONEY_SHAPE)
    currency = models.CharField(max_length=3)
    entry_reference = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=500, blank=True)
    counterparty = models.CharField(max_length=500, blank=True)
    # The SHA-256 of spec 15's key (see `entry_keys`).
    key = models.CharField(max_length=64, editable=False)
    # The entry's place in the file it came from (order of the lists).
    position = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=BankLineStatus.choices, default=BankLineStatus.UNMATCHED
    )
    # The receipt the line became (spec 15): one column, unique, so a line is at most one
    # receipt and a receipt at most one line; set only on the locked line (`match`).
    receipt = models.OneToOneField(
        Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "statement_id", "position", "id"]
        constraints = [
            # Spec 15: importing a statement again adds nothing, even two imports at once.
            models.UniqueConstraint(
                fields=["organization", "account", "key"], name="bank_line_key_unique"
            ),
            # Matched exactly when it has its receipt.
            models.CheckConstraint(
                condition=Q(status=BankLineStatus.MATCHED, receipt__isnull=False)
                | (~Q(status=BankLineStatus.MATCHED) & Q(receipt__isnull=True)),
                name="bank_line_matched_has_receipt",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "date"])]

    def __str__(self):
        return f"{self.date} {self.amount:f} {self.currency} {self.counterparty}".strip()

    @classmethod
    def add(cls, statement, entry, *, key, position, actor):
        """Insert the line of `entry` unless the organization's account already has its key
        (another import committed it first): True when added."""
        line = cls(
            organization_id=statement.organization_id,
            statement=statement,
            account=entry.account[:500],
            date=entry.date,
            amount=entry.amount,
            currency=entry.currency,
            entry_reference=entry.entry_reference,
            reference=entry.reference,
            counterparty=entry.counterparty,
            key=key,
            position=position,
        )
        line._history_user = actor
        line._change_reason = "import"
        try:
            # A savepoint: on PostgreSQL a concurrent import's uncommitted line with the
            # same key makes this insert wait, then fail here once that import commits.
            with transaction.atomic():
                line.save()
        except IntegrityError:
            return False
        return True

    @property
    def is_incoming(self):
        return self.amount > 0

    def ignore(self, *, actor):
        """Set an unmatched line aside (a fee, a transfer between own accounts): 409
        `already_matched` on a matched line; ignoring an ignored line changes nothing."""
        with transaction.atomic():
            line = lock(BankLine, pk=self.pk)
            if line.status == BankLineStatus.MATCHED:
                raise AlreadyMatched()
            if line.status != BankLineStatus.IGNORED:
                line.status = BankLineStatus.IGNORED
                line._history_user = actor
                line._change_reason = "ignore"
                line.save()
        return line

    def ensure_can_match(self):
        if self.status == BankLineStatus.MATCHED:
            raise AlreadyMatched()
        if not self.is_incoming:
            raise OutgoingLine()

    def match(self, *, customer, allocations, actor, reason="match"):
        """Record the line as a receipt from `customer` of its amount, on its booking date,
        by bank transfer, allocated as `allocations` says (the rest to the customer's
        credit), and mark it matched. 409 `already_matched` when it is already a receipt
        (checked on the locked line, so of concurrent matches one wins); 400
        `outgoing_line` for money going out; the receipt's own refusals otherwise, with
        nothing written. An ignored line may still be matched. Returns the receipt."""
        with transaction.atomic():
            # Lock order: the bank line, then the receipt's invoices and the customer's
            # credit balance (core.locking).
            line = lock(BankLine, pk=self.pk)
            line.ensure_can_match()
            receipt = Receipt.record(
                customer,
                currency=line.currency,
                amount=line.amount,
                method=PaymentMethod.BANK_TRANSFER,
                actor=actor,
                allocations=allocations,
                reference=line.entry_reference[:100],
                received_on=line.date,
            )
            line.receipt = receipt
            line.status = BankLineStatus.MATCHED
            line._history_user = actor
            line._change_reason = reason
            line.save()
        self.receipt, self.status = receipt, line.status
        return receipt
