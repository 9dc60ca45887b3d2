"""Payment rows out, pay/refund/reverse requests in.

Input amounts are validated with the invoice's stored minor unit (`context["minor_unit"]`):
more digits than it has is a 400, never rounded. Rows render with that minor unit too.
"""

from rest_framework import serializers

from api.fields import DateField, MoneyField
from api.payment_rows import (
    PaymentRowReverseInputSerializer,
    PaymentRowSerializer,
    payment_row_fields,
)
from core.money import ZERO
from payments.models import Payment, PaymentMethod


class PaymentMethodField(serializers.ChoiceField):
    """A refund has no method (stored blank): it answers `null`, which the schema declares,
    instead of `""`, which is none of the methods the schema's enum lists."""

    def __init__(self, **kwargs):
        super().__init__(choices=PaymentMethod.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


class PaymentSerializer(PaymentRowSerializer):
    method = PaymentMethodField(help_text="null on refunds.")
    amount = MoneyField(
        minor_unit_source="invoice.minor_unit",
        read_only=True,
        help_text="Negative for refunds and reversals.",
    )

    class Meta:
        model = Payment
        fields = payment_row_fields(Payment)
        read_only_fields = fields


class PaidPaymentSerializer(PaymentSerializer):
    """`pay/`'s answer: the row, and what of the amount went to the customer's credit."""

    credited_to_balance = MoneyField(
        minor_unit_source="invoice.minor_unit",
        read_only=True,
        help_text='The excess put on the customer\'s credit (`"excess": "credit"`), else 0.',
    )

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "credited_to_balance"]
        read_only_fields = fields


class PaymentPayInputSerializer(serializers.Serializer):
    amount = MoneyField(
        min_value=ZERO,
        help_text='More than 0, at most the balance due unless `"excess": "credit"`.',
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    received_on = DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to today."
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    excess = serializers.ChoiceField(
        choices=["credit"],
        required=False,
        allow_null=True,
        default=None,
        help_text='"credit": an amount above the balance due puts the excess on the '
        "customer's credit instead of being refused.",
    )


class PaymentRefundInputSerializer(serializers.Serializer):
    amount = MoneyField(min_value=ZERO, help_text="More than 0, at most the amount paid.")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PaymentReverseInputSerializer(PaymentRowReverseInputSerializer):
    pass
