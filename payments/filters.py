import django_filters
from django import forms

from fintrack.filters import DateFilter, MultipleChoiceCSVFilter
from payments.models import Payment, PaymentKind, PaymentMethod


class IdFilter(django_filters.NumberFilter):
    """A whole, positive id: "1.5" or "abc" is a 400 rather than an odd lookup."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        # Larger than any BIGINT primary key: refused instead of overflowing the database.
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class PaymentFilterSet(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    customer = IdFilter(field_name="invoice__customer_id")
    kind = MultipleChoiceCSVFilter(choices=PaymentKind.choices)
    method = MultipleChoiceCSVFilter(choices=PaymentMethod.choices)
    received_from = DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = DateFilter(field_name="received_on", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(fields=["received_on", "created_at", "amount"])

    class Meta:
        model = Payment
        fields = ["invoice", "customer", "kind", "method", "received_from", "received_to"]
