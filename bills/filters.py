"""Bill and bill-payment list filters. A value that cannot be understood is a 400."""

import django_filters
from django.db.models import Q

from api.filters import CurrencyFilter, DateFilter, IdFilter, MultipleChoiceCSVFilter
from bills.models import Bill, BillPayment, BillPaymentKind, BillPaymentMethod, BillStatus


class BillFilterSet(django_filters.FilterSet):
    status = MultipleChoiceCSVFilter(
        choices=BillStatus.choices, help_text="Repeatable or comma-separated."
    )
    vendor = IdFilter(field_name="vendor_id")
    currency = CurrencyFilter()
    issued_from = DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_to = DateFilter(field_name="issue_date", lookup_expr="lte")
    due_from = DateFilter(field_name="due_date", lookup_expr="gte")
    due_to = DateFilter(field_name="due_date", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    ordering = django_filters.OrderingFilter(
        fields=["issue_date", "due_date", "total", "number", "created_at"]
    )

    class Meta:
        model = Bill
        fields = ["status", "vendor", "currency"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(vendor__name__icontains=value))


class BillPaymentFilterSet(django_filters.FilterSet):
    bill = IdFilter(field_name="bill_id")
    vendor = IdFilter(field_name="bill__vendor_id")
    kind = MultipleChoiceCSVFilter(choices=BillPaymentKind.choices)
    method = MultipleChoiceCSVFilter(choices=BillPaymentMethod.choices)
    paid_from = DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = DateFilter(field_name="paid_on", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(fields=["paid_on", "created_at", "amount"])

    class Meta:
        model = BillPayment
        fields = ["bill", "vendor", "kind", "method", "paid_from", "paid_to"]
