import django_filters

from api.filters import IdFilter
from banking.models import BankLine, BankLineStatus


class BankLineFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BankLineStatus.choices)
    statement = IdFilter(field_name="statement_id")

    class Meta:
        model = BankLine
        fields = ["status", "statement"]
