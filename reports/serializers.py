"""Query parameters and response shapes (for the schema) of the reports."""

from rest_framework import serializers

from api.fields import CurrencyField, DateField
from invoices.tax import TaxCategory
from reports.services.aging import COLUMNS as AGING_COLUMNS

# --- query parameters -----------------------------------------------------------------


class PeriodQuerySerializer(serializers.Serializer):
    """`from` and `to` (inclusive ISO dates; `from` is a Python keyword, hence get_fields)."""

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DateField(required=False, help_text="First day, inclusive.")
        fields["to"] = DateField(required=False, help_text="Last day, inclusive.")
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["Must not be before `from`."]})
        return attrs


class ConvertQueryMixin(serializers.Serializer):
    convert_to = CurrencyField(
        withdrawn=True,
        required=False,
        help_text="Convert every amount into this currency at the rate of its own date.",
    )


class SummaryQuerySerializer(PeriodQuerySerializer, ConvertQueryMixin):
    pass


class TaxQuerySerializer(PeriodQuerySerializer):
    basis = serializers.ChoiceField(
        choices=["accrual", "cash"],
        default="accrual",
        help_text="accrual: invoices by issue date minus credit notes by issued_on; cash: "
        "the tax share of the cash received per invoice (spec 18).",
    )


class RevenueQuerySerializer(PeriodQuerySerializer, ConvertQueryMixin):
    interval = serializers.ChoiceField(choices=["month"], default="month")


class AgingQuerySerializer(ConvertQueryMixin):
    as_of = DateField(required=False, help_text="Default: today in the organization's time zone.")


class DashboardQuerySerializer(PeriodQuerySerializer, ConvertQueryMixin):
    currency = CurrencyField(
        withdrawn=True,
        required=False,
        help_text="Default: the organization's base currency; only its rows count.",
    )


class StatementQuerySerializer(PeriodQuerySerializer):
    currency = CurrencyField(
        withdrawn=True, required=False, help_text="Default: the customer's currency."
    )


# --- response shapes (documentation: the services build the dicts) ---------------------

Money = serializers.CharField  # a money string with the currency's digits


class SummaryCountsSerializer(serializers.Serializer):
    draft = serializers.IntegerField()
    sent = serializers.IntegerField()
    partially_paid = serializers.IntegerField()
    paid = serializers.IntegerField()
    void = serializers.IntegerField()
    uncollectible = serializers.IntegerField()


class SummaryCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    counts = SummaryCountsSerializer()
    invoiced = Money()
    collected = Money()
    outstanding = Money()
    overdue_count = serializers.IntegerField()
    overdue_amount = Money()
    credited = Money(help_text="Credit notes' totals, by their issue date.")
    written_off = Money(help_text="Gross write-offs, by their date.")
    recovered = Money(help_text="Cash received on written-off invoices, by its date.")


class SummarySerializer(serializers.Serializer):
    currencies = SummaryCurrencySerializer(many=True)


class AgingBucketsSerializer(serializers.Serializer):
    def get_fields(self):
        return {column: Money() for column in AGING_COLUMNS}


class AgingCustomerSerializer(AgingBucketsSerializer):
    def get_fields(self):
        return {
            "customer": serializers.IntegerField(),
            "customer_name": serializers.CharField(),
            **super().get_fields(),
        }


class AgingCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    customers = AgingCustomerSerializer(many=True)
    totals = AgingBucketsSerializer()


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currencies = AgingCurrencySerializer(many=True)


class RevenuePeriodSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")
    invoiced = Money()
    collected = Money()
    refunded = Money()


class RevenueCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    periods = RevenuePeriodSerializer(many=True)


class RevenueSerializer(serializers.Serializer):
    interval = serializers.CharField()
    currencies = RevenueCurrencySerializer(many=True)


class StatementLineSerializer(serializers.Serializer):
    date = serializers.DateField()
    type = serializers.ChoiceField(
        choices=[
            "invoice",
            "payment",
            "refund",
            "reversal",
            "credit_note",
            "write_off",
            "recovery",
            "credit_received",
            "credit_applied",
            "credit_refund",
            "credit_reversal",
        ]
    )
    number = serializers.CharField(allow_null=True)
    reference = serializers.CharField()
    amount = Money(help_text="Signed effect on the balance.")
    balance = Money()


class StatementSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "customer": serializers.IntegerField(),
            "currency": serializers.CharField(),
            "from": serializers.DateField(allow_null=True),
            "to": serializers.DateField(),
            "opening_balance": Money(),
            "lines": StatementLineSerializer(many=True),
            "closing_balance": Money(),
        }


class PayablesVendorSerializer(AgingBucketsSerializer):
    def get_fields(self):
        return {
            "vendor": serializers.IntegerField(),
            "vendor_name": serializers.CharField(),
            **super().get_fields(),
        }


class PayablesCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    vendors = PayablesVendorSerializer(many=True)
    totals = AgingBucketsSerializer()


class PayablesSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currencies = PayablesCurrencySerializer(many=True)


class DashboardCategorySerializer(serializers.Serializer):
    category = serializers.CharField(allow_null=True, help_text="null: bill payments.")
    amount = Money()


class DashboardMonthSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")
    income = Money()
    expenses = Money()
    net = Money()


class DashboardMovementSerializer(serializers.Serializer):
    date = serializers.DateField()
    type = serializers.CharField(
        help_text="payment, refund, reversal, credit_overpayment, credit_receipt, "
        "credit_refunded, credit_reversed, bill_payment, bill_reversal or expense"
    )
    amount = Money(help_text="In its own currency; money out is negative.")
    currency = serializers.CharField()
    description = serializers.CharField()
    source = serializers.CharField(
        help_text="invoice:<id>, customer:<id> (credit), bill:<id> or expense:<id>"
    )


class DashboardSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "currency": serializers.CharField(),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "income": Money(),
            "expenses": Money(),
            "net": Money(),
            "by_category": DashboardCategorySerializer(many=True),
            "trend": DashboardMonthSerializer(many=True),
            "recent": DashboardMovementSerializer(many=True),
        }


class TaxRateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=TaxCategory.choices)
    rate = serializers.CharField(help_text="Percent, with 4 decimal places as on the lines.")
    taxable = Money()
    tax = Money()


class TaxTotalsSerializer(serializers.Serializer):
    taxable = Money()
    tax = Money()


class TaxCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    rates = TaxRateSerializer(many=True)
    totals = TaxTotalsSerializer()


class TaxReportSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=["accrual", "cash"])
    currencies = TaxCurrencySerializer(many=True)
