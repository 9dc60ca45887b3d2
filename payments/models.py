"""Payments, refunds and reversals: immutable rows whose sum is an invoice's amount_paid."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Organization
from invoices.models import Invoice


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    REVERSAL = "reversal", "Reversal"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class Payment(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    # Negative for refunds and reversals, so amount_paid is a plain SUM.
    amount = models.DecimalField(max_digits=19, decimal_places=4)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)
    received_on = models.DateField()
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
                condition=Q(kind="payment", amount__gt=0, reverses__isnull=True)
                | Q(kind="refund", amount__lt=0, reverses__isnull=True)
                | Q(kind="reversal", amount__lt=0, reverses__isnull=False),
                name="payment_kind_sign_and_link",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency} on {self.invoice}"
