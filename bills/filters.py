"""Bill and bill-payment list filters. A value that cannot be understood is a 400."""

import django_filters
from django.db.models import Q

from api.filters import CurrencyFilter, IdFilter, MultipleChoiceCSVFilter, date_range
from bills.models import Bill, BillPayment, BillPaymentKind, BillPaymentMethod, BillStatus


class BillFilterSet(django_filters.FilterSet):
    status = MultipleChoiceCSVFilter(
        choices=BillStatus.choices, help_text="Repeatable or comma-separated."
    )
    vendor = IdFilter(field_name="vendor_id")
    currency = CurrencyFilter()
    issued_from, issued_to = date_range("issue_date")
    due_from, due_to = date_range("due_date")
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
    paid_from, paid_to = date_range("paid_on")
    ordering = django_filters.OrderingFilter(fields=["paid_on", "created_at", "amount"])

    class Meta:
        model = BillPayment
        fields = ["bill", "vendor", "kind", "method", "paid_from", "paid_to"]
