"""Invoice API shapes (spec 5.1). Writes go through `Invoice.create_draft` / `update_draft`.

The serializers check the shape of the input only; business rules (an archived customer,
a due date before the issue date, line values) are the model's, whose `DomainError(attr=…)`
the exception handler turns into the same 400 a field error would be.

Everything the server computes (status, number, totals, payments, timestamps, version,
is_overdue) is read-only: a client that sends it is ignored, never obeyed.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import CurrencyField, DateField, DecimalField, document_money
from core.documents import HUNDRED
from core.money import MONEY_SHAPE, PERCENT_SHAPE, ZERO
from customers.models import Customer
from invoices.models import Invoice, InvoiceLine
from invoices.tax import TaxCategory, tax_breakdown

MAX_LINES = 500


# A line's values are checked by the model (`InvoiceLine.check_values`: quantity above zero,
# price not negative, percentages 0-100, the columns' digits), whose `InvalidLine` is the
# 400. The fields below read the number grammar and state the columns' shape and the
# percentages' bounds in the schema, with the model's constants.


def line_decimal(**kwargs):
    return DecimalField(**MONEY_SHAPE, **kwargs)


def percent(**kwargs):
    return DecimalField(**PERCENT_SHAPE, min_value=ZERO, max_value=HUNDRED, **kwargs)


class InvoiceLineSerializer(serializers.ModelSerializer):
    description = serializers.CharField(min_length=1, max_length=500)
    quantity = line_decimal(help_text="Above zero, up to 4 decimal places.")
    unit_price = line_decimal(min_value=ZERO, help_text="Zero or more, up to 4 decimal places.")
    discount_percent = percent(default=ZERO)
    tax_rate = percent(default=ZERO, help_text="Percent, 0 to 100.")
    tax_category = serializers.ChoiceField(
        choices=TaxCategory.choices,
        required=False,
        help_text="EN 16931 VAT category; default S when the rate is above 0, else Z. "
        "Only S has a rate above 0.",
    )
    tax_exemption_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for E, AE and O; refused for S and Z.",
    )
    amount = document_money(prefix="invoice.")
    discount_amount = document_money(prefix="invoice.")
    tax_amount = document_money(prefix="invoice.")
    total = document_money(prefix="invoice.")

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "tax_category",
            "tax_exemption_reason",
            "amount",
            "discount_amount",
            "tax_amount",
            "total",
        ]


class TaxBreakdownSerializer(serializers.Serializer):
    """One row of a document's `tax_breakdown` (spec 18): sums of its lines' stored
    figures per category and rate, never re-rounded."""

    category = serializers.ChoiceField(choices=TaxCategory.choices)
    rate = serializers.CharField(help_text="Percent, with 4 decimal places as on the lines.")
    taxable = serializers.CharField(help_text="Line amounts after discount, summed.")
    tax = serializers.CharField(help_text="Line tax amounts, summed.")


class TaxBreakdownField(serializers.ListField):
    """A document's `tax_breakdown`, from its lines (a list: exports leave it out, as they
    leave out the lines it sums)."""

    def __init__(self, **kwargs):
        super().__init__(child=TaxBreakdownSerializer(), source="*", read_only=True, **kwargs)

    def to_representation(self, document):
        return tax_breakdown(document.lines.all(), document.minor_unit)


@extend_schema_field(serializers.IntegerField())
class OrganizationCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id, looked up only among the request organization's customers.

    Another tenant's id is "does not exist" (400), so an invoice can never be filed into
    someone else's books.
    """

    def get_queryset(self):
        return Customer.objects.filter(organization=self.context["request"].organization)

    def to_internal_value(self, data):
        # The lookup would run int(4.7) == 4: a fractional id must not pick another customer.
        if isinstance(data, float | Decimal) and data != int(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field({"type": "boolean", "readOnly": True})
class IsOverdueField(serializers.ReadOnlyField):
    """The `is_overdue` annotation; computed in Python for an instance read without it."""

    def get_attribute(self, instance):
        if hasattr(instance, "is_overdue"):
            return instance.is_overdue
        return instance.overdue_on(instance.organization.today())


# A model with lines (`core.documents.LineHolder`: invoices, bills, recurring invoices):
# writes go through its commands, `create_command` and `update_command` (a document's draft
# commands by default). No docstring: it would become every subclass's description in the
# OpenAPI document.
class LinedDocumentSerializer(serializers.ModelSerializer):
    create_command = "create_draft"
    update_command = "update_draft"

    def create(self, validated_data):
        validated_data.pop("expected_version", None)  # a new document has no version yet
        request = self.context["request"]
        return getattr(self.Meta.model, self.create_command)(
            organization=request.organization,
            actor=request.user,
            lines=validated_data.pop("lines", ()),
            **validated_data,
        )

    def update(self, instance, validated_data):
        # `lines`, when sent, replaces every line; when absent the lines are kept.
        # `expected_version` (the view's, from If-Match) is checked on the locked row.
        getattr(instance, self.update_command)(
            actor=self.context["request"].user,
            lines=validated_data.pop("lines", None),
            **validated_data,
        )
        return instance


class InvoiceSerializer(LinedDocumentSerializer):
    customer = OrganizationCustomerField()
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    currency = CurrencyField(required=False, help_text="Defaults to the customer's currency.")
    issue_date = DateField(required=False, allow_null=True)
    due_date = DateField(required=False, allow_null=True)
    lines = InvoiceLineSerializer(many=True, required=False, max_length=MAX_LINES)
    subtotal = document_money()
    discount_total = document_money()
    tax_total = document_money()
    total = document_money()
    amount_paid = document_money()
    balance_due = document_money()
    credited_total = document_money()
    written_off_total = document_money()
    tax_breakdown = TaxBreakdownField()
    written_off_on = DateField(read_only=True, allow_null=True)
    is_overdue = IsOverdueField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "customer",
            "customer_name",
            "currency",
            "issue_date",
            "due_date",
            "reference",
            "notes",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "balance_due",
            "credited_total",
            "written_off_total",
            "tax_breakdown",
            "written_off_on",
            "is_overdue",
            "recurring_invoice",
            "version",
            "sent_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "recurring_invoice",
            "version",
            "sent_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]


class InvoiceSendInputSerializer(serializers.Serializer):
    email = serializers.BooleanField(
        default=False, help_text="Also e-mail the invoice to the customer (needs an e-mail)."
    )


class InvoiceVoidInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the invoice is voided (recommended; kept in the audit trail).",
    )
