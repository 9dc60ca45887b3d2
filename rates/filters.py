import django_filters

from api.filters import CurrencyFilter, DateFilter
from rates.models import ExchangeRate


class ExchangeRateFilterSet(django_filters.FilterSet):
    base = CurrencyFilter()
    quote = CurrencyFilter()
    date = DateFilter(
        method="filter_in_effect",
        help_text="Only the rates in effect on this date: per pair the latest "
        "effective_date on or before it (the organization's own rows win).",
    )

    class Meta:
        model = ExchangeRate
        fields = ["base", "quote", "date"]

    def filter_in_effect(self, queryset, name, value):
        return queryset.in_effect(self.request.organization, value)
