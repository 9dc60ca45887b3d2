"""Documents with lines (spec 5.2): invoices, bills and credit notes share one line and
one set of totals; invoices and bills share their draft commands too.

`DocumentLine` is a line's input and its rounded figures; `set_document_totals` sums them
onto the document; `LineHolder` builds and stores the lines of a document or template.
`LinedDocument` is the draft half of a document's lifecycle (create, update and delete a
draft, default its dates) for a `VersionedModel` whose lines are its reverse relation
`lines` and whose party (the customer or the vendor, `party_field`) it bills or is billed
by. Each document keeps its own status
table (`transitions`), its own refusals and what it does once a draft is written.

The kernel knows no app: the party and the line model are read from the document's fields.
"""

from datetime import timedelta
from decimal import Decimal, localcontext

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from core.attachments import stored_files_removed_on_failure
from core.errors import DomainError
from core.money import (
    MONEY_INTEGER_DIGITS,
    MONEY_SHAPE,
    MONEY_STEP,
    PERCENT_SHAPE,
    ZERO,
    NotANumber,
    document_minor_unit,
    parse_decimal,
    quantize,
)

# A stored money column that reads 0 until computed.
MONEY = {**MONEY_SHAPE, "default": Decimal("0")}
# Stored amounts have 15 integer digits; anything larger cannot be a document's figure.
MAX_AMOUNT = Decimal("1e14")
HUNDRED = Decimal("100")
# Line inputs are stored in the money shape: 4 decimal places, at most 15 integer digits.
LINE_INPUT_STEP = MONEY_STEP
# The numbers of a line's input, in the order they are checked.
LINE_NUMBERS = ("quantity", "unit_price", "discount_percent", "tax_rate")
MAX_LINE_INPUT = Decimal(10) ** MONEY_INTEGER_DIGITS
# The status every document's choices name `void`.
VOID = "void"
# Enough digits that quantity x unit_price x percent is exact; rounding happens only in
# `quantize`, where the spec says it does.
EXACT_PRECISION = 60


class InvalidDates(DomainError):
    code = "invalid_dates"
    default_message = "The due date cannot be before the issue date."


class AmountTooLarge(DomainError):
    code = "amount_too_large"
    default_message = "The amount is too large to be stored."


class InvalidLine(DomainError):
    code = "invalid_line"
    default_message = "An invoice line has an invalid value."

    def __init__(self, message=None, *, code=None, attr="lines"):
        super().__init__(message, code=code, attr=attr)


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


class DocumentLine(models.Model):
    """A line computed per spec 5.2: its inputs and rounded figures. Invoice lines,
    credit-note lines (spec 14: "lines and totals follow 5.2 exactly") and bill lines
    (spec 19: "lines (5.2)") share it."""

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

    def __str__(self):
        return self.description

    def check_values(self):
        """Refuse line input the database constraints would reject: `InvalidLine` naming
        the field at fault (`quantity`, ...), which the document places in its lines."""
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

        `minor_unit` is the document's stored one (or a currency code, for a check of a line
        before its document exists).
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


def line_constraints(prefix):
    """The bounds `DocumentLine.check_values` refuses, as the database's check constraints
    (`<prefix>_quantity_positive`, ...) for a concrete line model's `Meta`."""
    return [
        models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity_positive"),
        models.CheckConstraint(
            condition=Q(unit_price__gte=0), name=f"{prefix}_unit_price_non_negative"
        ),
        models.CheckConstraint(
            condition=Q(discount_percent__gte=0, discount_percent__lte=HUNDRED),
            name=f"{prefix}_discount_percent_range",
        ),
        models.CheckConstraint(
            condition=Q(tax_rate__gte=0, tax_rate__lte=HUNDRED), name=f"{prefix}_tax_rate_range"
        ),
    ]


def set_document_totals(document, lines):
    """Spec 5.2: sum the already-rounded line figures (round per line, then sum) onto an
    invoice, a bill or a credit note."""
    document.subtotal = sum((line.amount for line in lines), ZERO)
    document.discount_total = sum((line.discount_amount for line in lines), ZERO)
    document.tax_total = sum((line.tax_amount for line in lines), ZERO)
    document.total = document.subtotal - document.discount_total + document.tax_total
    if max(document.subtotal, document.tax_total, document.total) >= MAX_AMOUNT:
        raise AmountTooLarge(attr="lines")


def _as_decimal(value, name):
    try:
        return parse_decimal(value)
    except NotANumber:
        raise InvalidLine(
            "Line numbers are plain digits with an optional fraction.", attr=name
        ) from None


class LineHolder:
    """Builds, saves and deletes the lines of a model whose lines are its reverse relation
    `lines` (a `DocumentLine` subclass with `organization` and `position`): documents and
    the templates they are made from (recurring invoices)."""

    @classmethod
    def _lines_relation(cls):
        """(line model, the name of its foreign key to the document)."""
        relation = cls._meta.get_field("lines")
        return relation.related_model, relation.field.name

    def _build_lines(self, lines):
        """Unsaved, computed lines from dicts of line input (validated, nothing written)."""
        line_model, parent = self._lines_relation()
        built = []
        for position, data in enumerate(lines, start=1):
            line = line_model(
                organization_id=self.organization_id, position=position, **{parent: self}, **data
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
        _, parent = self._lines_relation()
        for line in lines:
            setattr(line, parent, self)
            line._history_user = actor
            line._change_reason = reason
            line.save()

    def _delete_lines(self, *, actor, reason):
        for line in self.lines.all():
            line._history_user = actor
            line._change_reason = reason
            line.delete()


class LinedDocument(LineHolder):
    """The draft commands of a document with lines, for a `VersionedModel` subclass.

    The document names its party's foreign key (`party_field`), its status table
    (`transitions`, name -> `Transition`, with `update_draft` and `delete_draft`), and
    refuses an inactive party in `ensure_party_active`. Hooks: `_set_draft_fields` (plain
    assignment by default), `_save_document` (a plain save) and `_draft_created` (nothing).
    """

    party_field: str
    transitions: dict

    # --- predicates ---------------------------------------------------------------------

    def can(self, command):
        """Whether this document's status lets `command` run (`transitions`); views, admin
        and serializers ask this instead of comparing statuses themselves."""
        return self.status in self.transitions[command].sources

    def ensure_can(self, command):
        """Refuse `command` with its error (`transitions`) unless the status allows it.

        Commands call it on the row they locked; a view may call it first to refuse before
        validating a body (the locked check still decides)."""
        transition = self.transitions[command]
        if self.status not in transition.sources:
            raise transition.error(self.status)

    @property
    def party(self):
        return getattr(self, self.party_field)

    @classmethod
    def ensure_party_active(cls, party):
        raise NotImplementedError

    @classmethod
    def _lock_active_party(cls, party):
        """`party` re-read under its row lock, refused if it is archived.

        The party's archive takes the same lock, so an archive racing the new document is
        seen here (the caller's copy may predate it). Lock order (core.locking): an
        existing document first, then its party.
        """
        locked = party.lock()
        cls.ensure_party_active(locked)
        return locked

    # --- drafts -------------------------------------------------------------------------

    @classmethod
    def create_draft(cls, *, organization, actor, lines=(), **fields):
        """Create a draft with its lines and stored totals. The party must be active.

        Totals are computed before the first save, so the document gets one history row.
        """
        party = fields[cls.party_field]
        if party.organization_id != organization.pk:
            raise ValueError(f"{cls.party_field} belongs to another organization")
        cls.ensure_party_active(party)
        fields.setdefault("currency", party.currency)
        document = cls(organization=organization)
        document._set_draft_fields(fields)
        # Also when defaulted from the party: a new document takes only an active code.
        document.minor_unit = document_minor_unit(document.currency)
        document._check_dates()
        built = document._build_lines(lines)
        document._set_totals(built)
        with transaction.atomic(), stored_files_removed_on_failure(document):
            # Re-checked under the party's lock: an archive that committed since `party`
            # was read must refuse the document, not be silently bypassed.
            setattr(document, cls.party_field, cls._lock_active_party(party))
            document._history_user = actor
            document._change_reason = "create_draft"
            document._save_document()
            document._save_lines(built, actor=actor, reason="create_draft")
            document._draft_created(built)
        return document

    def update_draft(self, *, actor, lines=None, expected_version=None, **fields):
        """Change a draft's fields and, when `lines` is given, replace all its lines.

        Refused with the document's not-editable error unless the locked row is still a
        draft, and with `concurrent_modification` if it is not at `expected_version`
        (If-Match, the admin page's version) or changed since this instance was read.
        """
        with transaction.atomic():
            # The caller's explicit version first (If-Match: 412 when stale), then the
            # status, then the version this instance was read at (a lost race, 409).
            document = self.lock(expected_version=expected_version)
            document.ensure_can("update_draft")
            document.ensure_version(self.version)
            party = fields.get(self.party_field)
            if party is not None and party.pk != getattr(document, f"{self.party_field}_id"):
                if party.organization_id != document.organization_id:
                    raise ValueError(f"{self.party_field} belongs to another organization")
                # Lock order: the document (above), then the party it moves to.
                fields[self.party_field] = self._lock_active_party(party)
            currency_changed = fields.get("currency", document.currency) != document.currency
            document._set_draft_fields(fields)
            if currency_changed:
                document.minor_unit = document_minor_unit(document.currency)
            document._check_dates()
            if lines is not None:
                built = document._build_lines(lines)
                document._delete_lines(actor=actor, reason="update_draft")
            else:
                built = list(document.lines.all())
                # Kept lines were rounded for the old currency's minor unit.
                for line in built if currency_changed else ():
                    line.compute(document.minor_unit)
            document._set_totals(built)
            document._history_user = actor
            document._change_reason = "update_draft"
            with stored_files_removed_on_failure(document):
                document._save_document()
                if lines is not None or currency_changed:
                    document._save_lines(built, actor=actor, reason="update_draft")
        self.refresh_from_db()

    def delete_draft(self, *, actor, expected_version=None):
        """Delete a draft and its lines; refused like `update_draft` (not a draft: the
        not-editable error; not at `expected_version` or changed since this instance was
        read: 409 `concurrent_modification`, so a delete never discards an edit it did not
        see)."""
        with transaction.atomic():
            document = self.lock(expected_version=expected_version)
            document.ensure_can("delete_draft")
            document.ensure_version(self.version)
            document._delete_lines(actor=actor, reason="delete_draft")
            document._history_user = actor
            document._change_reason = "delete_draft"
            document.delete()

    # --- voiding -----------------------------------------------------------------------

    def void(self, *, reason, actor, expected_version=None):
        """Draft or never-paid issued document -> void (`transitions["void"]`); the domain
        event `<model>.voided` (`invoice.voided`, `bill.voided`) is logged."""
        with transaction.atomic():
            document = self.lock(expected_version=expected_version)
            document.ensure_can("void")
            # Any payment row, even one later reversed, makes the document part of the
            # books: the void transition's own refusal (`invoice_has_payments`, ...).
            if document.payments.exists():
                raise document.transitions["void"].refusal()
            document.status = VOID
            document.voided_at = timezone.now()
            document.void_reason = reason or ""
            document._record_transition("void", f"{document._meta.model_name}.voided", actor=actor)
        self.refresh_from_db()

    def _set_draft_fields(self, fields):
        for name, value in fields.items():
            setattr(self, name, value)

    def _save_document(self):
        self.save()

    def _draft_created(self, lines):
        """Called in the creating transaction once the draft and its lines are saved."""

    # --- lines, totals and dates --------------------------------------------------------

    def _set_totals(self, lines):
        set_document_totals(self, lines)
        self.balance_due = self.total - self.amount_paid

    def _check_dates(self):
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise InvalidDates(attr="due_date")

    def _default_dates(self):
        """On issue: the issue date defaults to the organization's today and the due date
        to it plus the party's payment terms."""
        self.issue_date = self.issue_date or self.organization.today()
        if self.due_date is None:
            try:
                self.due_date = self.issue_date + timedelta(days=self.party.payment_terms_days)
            except OverflowError:  # an issue date at the end of the calendar
                raise InvalidDates("The due date would be past year 9999.") from None
        self._check_dates()
