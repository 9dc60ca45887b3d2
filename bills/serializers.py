"""Bill and bill-payment shapes (spec 19). Writes go through `Bill` and `BillPayment` methods;
the serializers check the input's shape only (as `invoices.serializers`)."""

from rest_framework import serializers

from api.fields import CurrencyField, DateField, MoneyField, document_money
from api.payment_rows import (
    PaymentRowReverseInputSerializer,
    PaymentRowSerializer,
    payment_row_fields,
)
from bills.models import Bill, BillLine, BillPayment, BillPaymentMethod
from core.money import ZERO
from invoices.serializers import MAX_LINES, InvoiceLineSerializer, LinedDocumentSerializer
from vendors.models import Vendor


class BillLineSerializer(InvoiceLineSerializer):
    """An invoice line's input and figures (5.2), rendered in the bill's minor unit."""

    amount = document_money(prefix="bill.")
    discount_amount = document_money(prefix="bill.")
    tax_amount = document_money(prefix="bill.")
    total = document_money(prefix="bill.")
    # Spec 18's VAT categories are the sales documents' (invoices, credit notes).
    tax_category = None
    tax_exemption_reason = None

    class Meta(InvoiceLineSerializer.Meta):
        model = BillLine
        fields = [
            name
            for name in InvoiceLineSerializer.Meta.fields
            if name not in ("tax_category", "tax_exemption_reason")
        ]


class OrganizationVendorField(serializers.PrimaryKeyRelatedField):
    """A vendor id among the request organization's vendors only (another's: 400)."""

    def get_queryset(self):
        return Vendor.objects.filter(organization=self.context["request"].organization)


class BillSerializer(LinedDocumentSerializer):
    vendor = OrganizationVendorField()
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    number = serializers.CharField(max_length=64, help_text="The vendor's own number.")
    currency = CurrencyField(required=False, help_text="Defaults to the vendor's.")
    issue_date = DateField(required=False, allow_null=True)
    due_date = DateField(required=False, allow_null=True)
    lines = BillLineSerializer(many=True, required=False, max_length=MAX_LINES)
    attachment = serializers.FileField(
        write_only=True, required=False, help_text="PDF, PNG or JPEG, at most 10 MB."
    )
    has_attachment = serializers.SerializerMethodField()
    subtotal = document_money()
    discount_total = document_money()
    tax_total = document_money()
    total = document_money()
    amount_paid = document_money()
    balance_due = document_money()

    class Meta:
        model = Bill
        fields = [
            "id",
            "vendor",
            "vendor_name",
            "number",
            "status",
            "currency",
            "issue_date",
            "due_date",
            "notes",
            "attachment",
            "has_attachment",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "balance_due",
            "version",
            "approved_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "version",
            "approved_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        # The (vendor, number) constraint answers 409 `duplicate_bill_number` from the model.
        validators = []

    def get_has_attachment(self, bill) -> bool:
        return bool(bill.attachment)


class BillVoidInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BillPaymentSerializer(PaymentRowSerializer):
    amount = MoneyField(
        minor_unit_source="bill.minor_unit",
        read_only=True,
        help_text="Negative for reversals.",
    )

    class Meta:
        model = BillPayment
        fields = payment_row_fields(BillPayment)
        read_only_fields = fields


class BillPayInputSerializer(serializers.Serializer):
    amount = MoneyField(min_value=ZERO, help_text="More than 0, at most the balance due.")
    method = serializers.ChoiceField(choices=BillPaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    paid_on = DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to today."
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class BillPaymentReverseInputSerializer(PaymentRowReverseInputSerializer):
    pass
