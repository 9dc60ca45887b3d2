import django_filters
from django.db.models import Q

from api.filters import CurrencyFilter, StrictBooleanFilter
from customers.models import Customer


class CustomerFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    archived = StrictBooleanFilter(method="filter_archived")
    currency = CurrencyFilter()
    ordering = django_filters.OrderingFilter(fields=["name", "created_at"])

    class Meta:
        model = Customer
        fields = ["search", "archived", "currency"]

    def filter_queryset(self, queryset):
        # The default list shows active customers; `archived=true` shows only archived ones.
        if self.form.cleaned_data.get("archived") is None:
            queryset = queryset.active()
        return super().filter_queryset(queryset)

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(tax_id__icontains=value)
        )

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)
