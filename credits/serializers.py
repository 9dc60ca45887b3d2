"""Credit note and write-off API shapes (spec 14). Input is checked for shape only; the
rules (caps, status, what the rest of a note may do) are `CreditNote.issue`'s and
`WriteOff.write_off`'s."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import MoneyField
from credits.models import MAX_LINES, CreditNote, CreditNoteLine
from credits.payloads import tax_breakdown
from invoices.serializers import InvoiceLineSerializer


def note_money(prefix=""):
    """A read-only credit-note figure, rendered with the minor unit the note stored."""
    return MoneyField(
        currency_source=f"{prefix}currency",
        minor_unit_source=f"{prefix}minor_unit",
        read_only=True,
    )


class CreditNoteLineSerializer(InvoiceLineSerializer):
    """Lines in, computed per spec 5.2 exactly like invoice lines."""

    amount = note_money(prefix="credit_note.")
    discount_amount = note_money(prefix="credit_note.")
    tax_amount = note_money(prefix="credit_note.")
    total = note_money(prefix="credit_note.")

    class Meta(InvoiceLineSerializer.Meta):
        model = CreditNoteLine


class TaxBreakdownSerializer(serializers.Serializer):
    tax_rate = serializers.CharField(help_text="Percent, with 4 decimal places as on the lines.")
    net = serializers.CharField(help_text="Amount after discount credited at this rate.")
    tax = serializers.CharField()
    total = serializers.CharField()


class CreditNoteSerializer(serializers.ModelSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    subtotal = note_money()
    discount_total = note_money()
    tax_total = note_money()
    total = note_money()
    tax_breakdown = serializers.SerializerMethodField()
    credited_to_invoice = note_money()
    credited_to_balance = note_money()
    refunded = note_money()

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

    @extend_schema_field(TaxBreakdownSerializer(many=True))
    def get_tax_breakdown(self, note):
        return tax_breakdown(note, note.lines.all())


class CreditNoteLineInputSerializer(InvoiceLineSerializer):
    class Meta(InvoiceLineSerializer.Meta):
        model = CreditNoteLine
        fields = ["description", "quantity", "unit_price", "discount_percent", "tax_rate"]


class CreditNoteInputSerializer(serializers.Serializer):
    lines = CreditNoteLineInputSerializer(many=True, min_length=1, max_length=MAX_LINES)
    reason = serializers.CharField(max_length=500, help_text="Why the invoice is corrected.")
    refund = serializers.BooleanField(
        default=False,
        help_text="Refund what the invoice's balance does not take (bounded by its cash paid).",
    )


class WriteOffInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the invoice is written off.")
