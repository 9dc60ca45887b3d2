import django_filters

from api.filters import CurrencyFilter, DateFilter, IdFilter
from credits.models import CreditNote


class CreditNoteFilterSet(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    customer = IdFilter(field_name="customer_id")
    currency = CurrencyFilter()
    issued_from = DateFilter(field_name="issued_on", lookup_expr="gte")
    issued_to = DateFilter(field_name="issued_on", lookup_expr="lte")

    class Meta:
        model = CreditNote
        fields = ["invoice", "customer", "currency", "issued_from", "issued_to"]
