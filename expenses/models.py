"""Expenses: money spent without a bill (spec 19), in categories of the organization's own.

`amount` is gross (tax included). An expense is audited (history) and versioned; its
receipt is stored through Django's storage API (`STORAGES["default"]`), so another backend
(S3) replaces the disk with one setting.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from bills.models import BillPaymentMethod
from core.attachments import checked_file_type, stored_files_removed_on_failure, stored_path
from core.errors import DomainError
from core.money import (
    MONEY_INTEGER_DIGITS,
    MONEY_SHAPE,
    PERCENT_SHAPE,
    NotANumber,
    document_minor_unit,
    has_excess_digits,
    parse_decimal,
    validate_currency,
)
from core.payment_rows import TooPrecise
from core.versioning import VersionedModel
from vendors.models import Vendor

# An expense is paid the ways a bill is.
ExpensePaymentMethod = BillPaymentMethod


def receipt_path(expense, filename):
    return stored_path("receipts", expense, expense.receipt_content_type)


class InvalidExpenseAmount(DomainError):
    code = "invalid_amount"
    default_message = "An expense's amount is greater than zero."


class ExpenseCategory(VersionedModel):
    """An organization's own expense category (admins manage them)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="expense_categories"
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "expense categories"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="expense_category_unique_per_org"
            )
        ]

    def __str__(self):
        return self.name


class Expense(VersionedModel):
    INPUT_FIELDS = (
        "date",
        "amount",
        "currency",
        "category",
        "vendor",
        "description",
        "payment_method",
        "tax_rate",
    )

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="expenses"
    )
    date = models.DateField()
    amount = models.DecimalField(**MONEY_SHAPE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # The minor unit the amount was checked with (spec 3), fixed with the currency.
    minor_unit = models.PositiveSmallIntegerField(editable=False)
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="expenses")
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="expenses"
    )
    description = models.CharField(max_length=500, blank=True)
    payment_method = models.CharField(max_length=20, choices=ExpensePaymentMethod.choices)
    tax_rate = models.DecimalField(**PERCENT_SHAPE, null=True, blank=True)
    receipt = models.FileField(upload_to=receipt_path, blank=True, max_length=200)
    receipt_content_type = models.CharField(max_length=50, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["organization", "date"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
            models.CheckConstraint(
                condition=Q(tax_rate__isnull=True) | Q(tax_rate__gte=0, tax_rate__lte=100),
                name="expense_tax_rate_range",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.amount} {self.currency}"

    @classmethod
    def record(cls, *, organization, actor, receipt=None, **fields):
        """A new expense, its amount checked against its currency's minor unit."""
        fields.setdefault("currency", organization.base_currency)
        expense = cls(organization=organization, created_by=actor, **fields)
        expense._check(receipt)
        expense._history_user = actor
        expense._change_reason = "record"
        with transaction.atomic(), stored_files_removed_on_failure(expense):
            expense.save()
        return expense

    def change(self, *, actor, expected_version=None, receipt=None, **fields):
        """Change fields (and the receipt, when one is given) of this expense."""
        with transaction.atomic():
            expense = self.lock(expected_version=expected_version)
            expense.ensure_version(self.version)
            for name, value in fields.items():
                setattr(expense, name, value)
            expense._check(receipt)
            expense._history_user = actor
            expense._change_reason = "change"
            with stored_files_removed_on_failure(expense):
                expense.save()
        self.refresh_from_db()

    def remove(self, *, actor, expected_version=None):
        with transaction.atomic():
            expense = self.lock(expected_version=expected_version)
            expense._history_user = actor
            expense._change_reason = "delete"
            expense.delete()

    def _check(self, receipt):
        if self.category.organization_id != self.organization_id or (
            self.vendor is not None and self.vendor.organization_id != self.organization_id
        ):
            raise ValueError("category and vendor belong to the expense's organization")
        self.minor_unit = document_minor_unit(self.currency)
        try:
            self.amount = parse_decimal(self.amount)
        except NotANumber:
            raise InvalidExpenseAmount(attr="amount") from None
        if self.amount <= 0 or self.amount.adjusted() >= MONEY_INTEGER_DIGITS:
            raise InvalidExpenseAmount(attr="amount")
        if has_excess_digits(self.amount, self.minor_unit):
            raise TooPrecise(attr="amount")
        if receipt is not None:
            self.receipt_content_type = checked_file_type(receipt, attr="receipt")
            self.receipt = receipt
