"""Recurring invoice list filters. A value that cannot be understood is a 400."""

import django_filters

from api.filters import IdFilter, MultipleChoiceCSVFilter
from recurring.models import RecurringInvoice, RecurringStatus


class RecurringInvoiceFilterSet(django_filters.FilterSet):
    status = MultipleChoiceCSVFilter(
        choices=RecurringStatus.choices, help_text="Repeatable or comma-separated."
    )
    customer = IdFilter(field_name="customer_id")
    ordering = django_filters.OrderingFilter(fields=["next_run_on", "start_date", "created_at"])

    class Meta:
        model = RecurringInvoice
        fields = ["status", "customer"]
