"""Customer credit and receipt API shapes (spec 14). Input is checked for shape only; the
rules (credit never negative, allocations, all or nothing) are the domain's."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import CurrencyField, DateField, MoneyField
from api.filters import MAX_ID
from core.money import ZERO
from invoices.serializers import OrganizationCustomerField
from payments.credit import CreditEntry, CreditKind
from payments.models import PaymentMethod
from payments.payloads import allocations_payload
from payments.receipts import MAX_ALLOCATIONS, Receipt


class CreditEntrySerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True, help_text="+ into the credit, - out of it.")
    kind = serializers.ChoiceField(choices=CreditKind.choices, read_only=True)
    credit_note = serializers.SerializerMethodField(help_text="The credit note it came from.")
    method = serializers.SerializerMethodField(help_text="How cash moved; null otherwise.")

    class Meta:
        model = CreditEntry
        fields = [
            "id",
            "customer",
            "currency",
            "amount",
            "kind",
            "invoice",
            "credit_note",
            "receipt",
            "payment",
            "method",
            "reference",
            "reason",
            "booked_on",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_credit_note(self, entry) -> int | None:
        # The credit note names its entry (it lives above payments): the reverse side.
        note = getattr(entry, "credit_note", None)
        return note.pk if note is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=PaymentMethod.choices, allow_null=True))
    def get_method(self, entry) -> str | None:
        return entry.method or None


class CreditBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = MoneyField(minor_unit_source="minor_unit")


class CustomerCreditSerializer(serializers.Serializer):
    balances = CreditBalanceSerializer(many=True, help_text="Per currency, never negative.")
    entries = CreditEntrySerializer(many=True, help_text="Oldest first.")


class ApplyCreditInputSerializer(serializers.Serializer):
    amount = MoneyField(
        min_value=ZERO, help_text="At most the customer's credit and the balance due."
    )


class CreditRefundInputSerializer(serializers.Serializer):
    currency = CurrencyField(withdrawn=True)
    # Checked against the credit's minor unit by the domain (`too_precise`).
    amount = MoneyField(min_value=ZERO, strict=False, help_text="At most the credit.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AllocationSerializer(serializers.Serializer):
    """One allocation as a receipt shows it: its invoice, its payment row, the amount."""

    invoice = serializers.IntegerField()
    payment = serializers.IntegerField()
    amount = serializers.CharField(help_text="Money string of the invoice's currency.")


class ReceiptSerializer(serializers.ModelSerializer):
    amount = MoneyField(minor_unit_source="minor_unit", read_only=True)
    allocated = MoneyField(minor_unit_source="minor_unit", read_only=True)
    unallocated = MoneyField(
        minor_unit_source="minor_unit",
        read_only=True,
        help_text="Put on the customer's credit (a `receipt` entry).",
    )
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "id",
            "customer",
            "currency",
            "amount",
            "allocated",
            "unallocated",
            "method",
            "reference",
            "received_on",
            "allocations",
            "reversed_at",
            "reversal_reason",
            "notes",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AllocationSerializer(many=True))
    def get_allocations(self, receipt):
        rows = getattr(receipt, "allocation_rows", None)
        if rows is None:
            # Its payment rows (reversals are not the receipt's), in the order written.
            rows = sorted(receipt.payments.all(), key=lambda row: row.pk)
        return allocations_payload(rows)


class AllocationInputSerializer(serializers.Serializer):
    # Bounded like every id the API reads: a larger one would overflow the database's
    # integer in the invoices' lookup (a 500) instead of naming the allocation.
    invoice = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = MoneyField(min_value=ZERO, strict=False)


class ReceiptInputSerializer(serializers.Serializer):
    customer = OrganizationCustomerField()
    currency = CurrencyField()
    # Digits are checked against the currency and each invoice by the domain (`too_precise`).
    amount = MoneyField(min_value=ZERO, strict=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    received_on = DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to today."
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    allocations = AllocationInputSerializer(
        many=True, required=False, default=list, max_length=MAX_ALLOCATIONS
    )


class ReceiptReverseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
