"""Bank statements and lines over HTTP (spec 15)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import MoneyField
from banking.matching import OpenInvoices, suggestions_for
from banking.models import BankLine, BankStatement
from invoices.serializers import OrganizationCustomerField
from payments.credit_serializers import AllocationInputSerializer
from payments.receipts import MAX_ALLOCATIONS


class BankStatementInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A CAMT.053, MT940 or OFX statement, or a CSV file "
        "`date,amount,currency,reference,counterparty`; at most 10 MB."
    )
    account = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="The account a CSV file's lines belong to (the other formats name theirs).",
    )


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = ["id", "format", "account", "entries", "added", "matched"]
        read_only_fields = fields


class SuggestionSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="id")
    number = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField()
    currency = serializers.CharField()
    balance_due = MoneyField()


class BankLineSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True, help_text="Positive: money in; negative: money out.")
    suggestions = serializers.SerializerMethodField(
        help_text="Open invoices this unmatched incoming line may pay, best first; empty for "
        "matched, ignored and outgoing lines."
    )

    class Meta:
        model = BankLine
        fields = [
            "id",
            "statement",
            "date",
            "amount",
            "currency",
            "reference",
            "counterparty",
            "status",
            "receipt",
            "suggestions",
        ]
        read_only_fields = fields

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, line):
        invoices = self.context.get("open_invoices") or OpenInvoices(line.organization_id)
        return SuggestionSerializer(suggestions_for(line, invoices), many=True).data


class BankLineMatchInputSerializer(serializers.Serializer):
    """The receipt a line becomes: from `customer`, of the line's amount and currency, on
    its booking date; `allocations` over the customer's invoices, the rest to its credit."""

    customer = OrganizationCustomerField()
    allocations = AllocationInputSerializer(
        many=True, required=False, default=list, max_length=MAX_ALLOCATIONS
    )
