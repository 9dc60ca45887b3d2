import django_filters

from api.filters import CurrencyFilter, IdFilter, MultipleChoiceCSVFilter, date_range
from payments.models import Payment, PaymentKind, PaymentMethod
from payments.receipts import Receipt


class PaymentFilterSet(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    customer = IdFilter(field_name="invoice__customer_id")
    kind = MultipleChoiceCSVFilter(choices=PaymentKind.choices)
    method = MultipleChoiceCSVFilter(choices=PaymentMethod.choices)
    received_from, received_to = date_range("received_on")
    ordering = django_filters.OrderingFilter(fields=["received_on", "created_at", "amount"])

    class Meta:
        model = Payment
        fields = ["invoice", "customer", "kind", "method", "received_from", "received_to"]


class ReceiptFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    currency = CurrencyFilter()
    method = MultipleChoiceCSVFilter(choices=PaymentMethod.choices)
    received_from, received_to = date_range("received_on")

    class Meta:
        model = Receipt
        fields = ["customer", "currency", "method", "received_from", "received_to"]
