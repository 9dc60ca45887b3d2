"""Payment rows: the immutable, signed money rows whose plain sum is a document's
`amount_paid` (spec 6 for invoices, spec 19 for bills: "the same locks, idempotency and
invariants").

`PaymentRow` holds what customer payments and bill payments share: the columns, the
immutability, the amount's check, inserting a row with its unique constraints named when
they fire, and `reverse` (once, only `reversible_kinds`, under the document's lock). What
differs stays with each model: which document it settles (`document_field`), its date
column (`date_field`), its own kinds and methods, its bounds on `pay`, its refusal codes'
messages, and what `_record` does after the insert (events, the outbox, the recompute).

The kernel knows no app: the document model is read from the row's foreign key.
"""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, models, transaction

from core.errors import DomainError
from core.locking import lock
from core.money import MONEY_SHAPE, NotANumber, has_excess_digits, parse_decimal
from core.transactions import atomic_step

# The kinds every payment row model has (its `kind` choices may add more: refunds).
PAYMENT = "payment"
REVERSAL = "reversal"


class InvalidAmount(DomainError):
    code = "invalid_amount"
    default_message = "The amount must be greater than zero."


class TooPrecise(DomainError):
    code = "too_precise"
    default_message = "The amount has more decimal places than the currency allows."


def checked_amount(amount, minor_unit, *, attr="amount") -> Decimal:
    """A positive amount in the number grammar with no non-zero digits beyond `minor_unit`
    (a document's stored one; never rounded): payments, refunds, credit and receipts."""
    try:
        amount = parse_decimal(amount)
    except NotANumber:
        raise InvalidAmount(attr=attr) from None
    if amount <= 0:
        raise InvalidAmount(attr=attr)
    if has_excess_digits(amount, minor_unit):
        raise TooPrecise(attr=attr)
    return amount


class PaymentRowQuerySet(models.QuerySet):
    """Bulk writes would bypass the rows' immutability and the history trail."""

    def update(self, **kwargs):
        raise self.model.immutable_error()

    def delete(self):
        raise self.model.immutable_error()


class PaymentRow(models.Model):
    """One immutable money movement on a document; a mistake is corrected by a reversal,
    so the ledger keeps every event. A concrete row names:

    - `document_field`, its foreign key to the document (`related_name="payments"`), and
      `date_field`, the date the money moved;
    - the errors `immutable_error`, `not_reversible_error`, `already_reversed_error` and
      `duplicate_reference_error`;
    - `_record(document, *, actor, reason)`, which inserts the row (`_insert`) on the locked
      document and recomputes it.
    """

    document_field: str
    date_field: str

    # Negative for refunds and reversals, so amount_paid is a plain SUM.
    amount = models.DecimalField(**MONEY_SHAPE)
    # Always the document's currency: there is no conversion here.
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentRowQuerySet.as_manager()

    class Meta:
        abstract = True

    # --- immutability -------------------------------------------------------------------

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.immutable_error()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.immutable_error()

    # --- commands -----------------------------------------------------------------------

    # The kinds `reverse` takes; a row model may add its own (customer credit applied).
    reversible_kinds = frozenset({PAYMENT})

    def can_reverse(self) -> bool:
        """Whether `reverse` would take this row now, read without locks (a page's button):
        a reversible kind not reversed yet, allowed by the row (`_check_reversible`) and by
        its document's status. `reverse` checks it all again under the lock, bounds too."""
        if self.kind not in self.reversible_kinds or hasattr(self, "reversed_by"):
            return False
        try:
            self._check_reversible()
        except DomainError:
            return False
        return getattr(self, self.document_field).can("reverse")

    def reverse(self, *, actor, reason=""):
        """Cancel this payment with a reversal row of the opposite amount, dated today.

        Only `reversible_kinds`, each row at most once (the unique `reverses` column is the
        real guard), only when the row allows it (`_check_reversible`) and while the
        document does (`ensure_can("reverse")`, then `_check_reversal`).
        """
        document_model = self._meta.get_field(self.document_field).related_model
        with atomic_step():
            # The document, as everywhere (core.locking); the original row is immutable
            # so it needs no lock.
            document = lock(document_model, pk=getattr(self, f"{self.document_field}_id"))
            original = type(self).objects.get(pk=self.pk)
            original._check_reversible()
            return original.reverse_locked(document, actor=actor, reason=reason)

    def reverse_locked(self, document, *, actor, reason=""):
        """`reverse` for a caller that holds the document's lock (a receipt's reversal)."""
        if self.kind not in self.reversible_kinds:
            raise self.not_reversible_error()
        if type(self).objects.filter(reverses=self).exists():
            raise self.already_reversed_error()
        document.ensure_can("reverse")
        self._check_reversal(document)
        reversal = type(self)(
            kind=REVERSAL,
            amount=-self.amount,
            method=self.method,
            reverses=self,
            reason=reason or "",
            **{self.date_field: document.organization.today()},
        )
        reversal._record(document, actor=actor, reason="reverse")
        self._reversed(document, reversal, actor=actor, reason=reason)
        return reversal

    def _check_reversible(self):
        """Refuse reversing this row through `reverse` (it may be reversible otherwise)."""

    def _check_reversal(self, document):
        """Refuse reversing this payment on its locked `document`, beyond the status."""

    def _reversed(self, document, reversal, *, actor, reason):
        """Called once `reversal` is recorded, in the same transaction."""

    # --- inserting ----------------------------------------------------------------------

    def _insert(self, document, *, actor, reason):
        """Insert this new row on the locked `document`; `reason` (the command's name) goes
        on its history row. The unique constraints (reference per document, one reversal
        per payment) are the real guards: the one that fired is named."""
        setattr(self, self.document_field, document)
        self.organization_id = document.organization_id
        self.currency = document.currency
        self.created_by = actor
        self._history_user = actor
        self._change_reason = reason
        if self.reference or self.reverses_id:
            try:
                # A savepoint, so a unique constraint's refusal leaves the transaction usable
                # for the queries that name it.
                with transaction.atomic():
                    self.save()
            except IntegrityError:
                translated = self._translate_integrity_error()
                if translated is None:
                    raise
                raise translated from None
        else:
            # No unique constraint can refuse a row without reference nor reversed payment:
            # nothing to translate, so no savepoint (an error rolls back the caller's work).
            self.save()
        # A row just inserted has no reversal yet: the answer's `reversed_by` is known
        # without a query.
        type(self).reversed_by.related.set_cached_value(self, None)

    def _translate_integrity_error(self):
        rows = type(self).objects
        if self.reverses_id and rows.filter(reverses_id=self.reverses_id).exists():
            return self.already_reversed_error()
        document_id = f"{self.document_field}_id"
        if (
            self.reference
            and rows.filter(
                **{document_id: getattr(self, document_id)}, reference=self.reference
            ).exists()
        ):
            return self.duplicate_reference_error()
        return None
