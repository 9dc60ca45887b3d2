"""Recurring invoice shapes (spec 16). Writes go through `RecurringInvoice` methods; the
serializers check the input's shape only (as `invoices.serializers`)."""

from rest_framework import serializers

from api.fields import CurrencyField, DateField, document_money
from invoices.serializers import (
    MAX_LINES,
    InvoiceLineSerializer,
    LinedDocumentSerializer,
    OrganizationCustomerField,
)
from recurring.models import (
    MAX_DAYS_UNTIL_DUE,
    MAX_INTERVAL_COUNT,
    RecurringInterval,
    RecurringInvoice,
    RecurringInvoiceLine,
)


class RecurringInvoiceLineSerializer(InvoiceLineSerializer):
    """An invoice line's input and figures (5.2), in the template's minor unit."""

    amount = document_money(prefix="template.")
    discount_amount = document_money(prefix="template.")
    tax_amount = document_money(prefix="template.")
    total = document_money(prefix="template.")

    class Meta(InvoiceLineSerializer.Meta):
        model = RecurringInvoiceLine


class RecurringInvoiceSerializer(LinedDocumentSerializer):
    # A template is never a draft: its own commands (`lines`, when sent, replace them all).
    create_command = "create"
    update_command = "update"

    customer = OrganizationCustomerField()
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    currency = CurrencyField(required=False, help_text="Defaults to the customer's currency.")
    lines = RecurringInvoiceLineSerializer(
        many=True, min_length=1, max_length=MAX_LINES, help_text="Copied onto every invoice."
    )
    interval = serializers.ChoiceField(choices=RecurringInterval.choices)
    interval_count = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INTERVAL_COUNT,
        default=1,
        help_text="Invoice every `interval_count` intervals.",
    )
    start_date = DateField(help_text="The first period's start: the first invoice's date.")
    end_date = DateField(
        required=False,
        allow_null=True,
        help_text="No period starts after it; not before `start_date`.",
    )
    days_until_due = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DAYS_UNTIL_DUE,
        required=False,
        allow_null=True,
        help_text="Each invoice's due date is its date plus this. Defaults to the "
        "customer's payment terms.",
    )
    auto_send = serializers.BooleanField(
        default=False, help_text="Send (number) each invoice when it is created."
    )
    auto_email = serializers.BooleanField(
        default=False,
        help_text="Also e-mail each invoice to the customer (needs `auto_send` and an e-mail).",
    )
    subtotal = document_money()
    discount_total = document_money()
    tax_total = document_money()
    total = document_money()

    class Meta:
        model = RecurringInvoice
        fields = [
            "id",
            "customer",
            "customer_name",
            "currency",
            "reference",
            "notes",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "interval",
            "interval_count",
            "start_date",
            "end_date",
            "days_until_due",
            "auto_send",
            "auto_email",
            "status",
            "next_run_on",
            "last_invoice",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "next_run_on",
            "last_invoice",
            "version",
            "created_at",
            "updated_at",
        ]
