"""Invoice list filters (spec 5.4). A value that cannot be understood is a 400."""

import django_filters
from django.db.models import F, Q

from api.filters import (
    CurrencyFilter,
    DateFilter,
    IdFilter,
    MultipleChoiceCSVFilter,
    StrictBooleanFilter,
)
from invoices.models import Invoice, InvoiceStatus


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Orders drafts (no number or dates yet) last in both directions on every database,
    with the id as a tie-breaker (same direction) so pages never overlap."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = F(self.param_map[param.lstrip("-")])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        tie_breaker = "-id" if value[0].startswith("-") else "id"
        return qs.order_by(*(self.get_ordering_value(param) for param in value), tie_breaker)


class InvoiceFilterSet(django_filters.FilterSet):
    status = MultipleChoiceCSVFilter(
        choices=InvoiceStatus.choices, help_text="Repeatable or comma-separated."
    )
    customer = IdFilter(field_name="customer_id")
    recurring_invoice = IdFilter(help_text="The invoices a recurring invoice generated.")
    currency = CurrencyFilter()
    overdue = StrictBooleanFilter(field_name="is_overdue")
    issued_from = DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_to = DateFilter(field_name="issue_date", lookup_expr="lte")
    due_from = DateFilter(field_name="due_date", lookup_expr="gte")
    due_to = DateFilter(field_name="due_date", lookup_expr="lte")
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, help_text="Number, customer name or reference."
    )
    ordering = NullsLastOrderingFilter(
        fields=["issue_date", "due_date", "total", "number", "created_at"]
    )

    class Meta:
        model = Invoice
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(reference__icontains=value)
        )
