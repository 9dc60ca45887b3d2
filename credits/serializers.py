"""Credit note and write-off API shapes (spec 14). Input is checked for shape only; the
rules (caps, status, what the rest of a note may do) are `CreditNote.issue`'s and
`WriteOff.write_off`'s."""

from rest_framework import serializers

from api.fields import document_money
from credits.models import MAX_LINES, CreditNote, CreditNoteLine
from invoices.serializers import InvoiceLineSerializer, TaxBreakdownField
from invoices.tax import LINE_INPUT_FIELDS


class CreditNoteLineSerializer(InvoiceLineSerializer):
    """Lines in, computed per spec 5.2 exactly like invoice lines."""

    amount = document_money(prefix="credit_note.")
    discount_amount = document_money(prefix="credit_note.")
    tax_amount = document_money(prefix="credit_note.")
    total = document_money(prefix="credit_note.")

    class Meta(InvoiceLineSerializer.Meta):
        model = CreditNoteLine


class CreditNoteSerializer(serializers.ModelSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    subtotal = document_money()
    discount_total = document_money()
    tax_total = document_money()
    total = document_money()
    tax_breakdown = TaxBreakdownField()
    credited_to_invoice = document_money()
    credited_to_balance = document_money()
    refunded = document_money()

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "customer",
            "currency",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "tax_breakdown",
            "credited_to_invoice",
            "credited_to_balance",
            "refunded",
            "reason",
            "issued_on",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CreditNoteLineInputSerializer(InvoiceLineSerializer):
    class Meta(InvoiceLineSerializer.Meta):
        model = CreditNoteLine
        fields = list(LINE_INPUT_FIELDS)


class CreditNoteInputSerializer(serializers.Serializer):
    lines = CreditNoteLineInputSerializer(many=True, min_length=1, max_length=MAX_LINES)
    reason = serializers.CharField(max_length=500, help_text="Why the invoice is corrected.")
    refund = serializers.BooleanField(
        default=False,
        help_text="Refund what the invoice's balance does not take (bounded by its cash paid).",
    )


class WriteOffInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the invoice is written off.")
