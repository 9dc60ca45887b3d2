"""What FinTrack recorded from an organization's Stripe account (spec 15).

Three append-only tables, each keyed by the Stripe id it records, unique per organization
(the constraints are the real guards against a repeated or concurrent delivery):

- `StripeEvent`: every event id handled, at most once;
- `StripePayment`: one per PaymentIntent, however many of its events arrive (the checkout
  session's and the PaymentIntent's): the payment row on the invoice and/or the part that
  went to the customer's credit;
- `StripeRefund`: one per Stripe refund id (`re_…`).
"""

from django.conf import settings
from django.db import models

from accounts.models import Organization
from core.money import MONEY_SHAPE
from customers.models import Customer
from invoices.models import Invoice
from payments.models import Payment


class StripeEvent(models.Model):
    """A Stripe event handled for an organization; a second delivery finds it and does
    nothing."""

    class Outcome(models.TextChoices):
        PAYMENT = "payment", "Payment recorded"
        REFUND = "refund", "Refund recorded"
        ALREADY_RECORDED = "already_recorded", "Already recorded by another event"
        IGNORED = "ignored", "Ignored"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"], name="stripe_event_once_per_organization"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class StripeRecord(models.Model):
    """What a PaymentIntent or refund record shares: its organization, the event that
    brought it, the system actor that wrote it and when; newest first. Append-only."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(StripeEvent, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class StripePayment(StripeRecord):
    """The money of one PaymentIntent: `amount` = `payment.amount` (on the invoice, within
    its balance) + `credited` (to the customer's credit)."""

    payment_intent = models.CharField(max_length=255)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY_SHAPE)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_payment"
    )
    credited = models.DecimalField(**MONEY_SHAPE)

    class Meta(StripeRecord.Meta):
        constraints = [
            # The PaymentIntent id is the payment's `reference`: one record per organization.
            models.UniqueConstraint(
                fields=["organization", "payment_intent"],
                name="stripe_payment_intent_once_per_organization",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, credited__gte=0),
                name="stripe_payment_amounts_positive",
            ),
        ]

    def __str__(self):
        return f"{self.payment_intent} on {self.invoice}"


class StripeRefund(StripeRecord):
    """One Stripe refund: `amount` = minus `refund.amount` (the refund row on the invoice)
    + `from_credit` (taken back out of the customer's credit)."""

    stripe_refund_id = models.CharField(max_length=255)
    stripe_payment = models.ForeignKey(
        StripePayment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY_SHAPE)
    refund = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_refund"
    )
    from_credit = models.DecimalField(**MONEY_SHAPE)

    class Meta(StripeRecord.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "stripe_refund_id"],
                name="stripe_refund_once_per_organization",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, from_credit__gte=0),
                name="stripe_refund_amounts_positive",
            ),
        ]

    def __str__(self):
        return f"{self.stripe_refund_id} of {self.stripe_payment.payment_intent}"
